FROM python:3.11-slim
WORKDIR /app
# libgeos for Shapely's wheels is bundled; the app needs no other system libraries at run time.
COPY setup.cfg pyproject.toml README.md ./
COPY cityreport ./cityreport
COPY worker ./worker
COPY migrations ./migrations
COPY static ./static
RUN pip install --no-cache-dir -e .
ENV CITYREPORT_ENV=production MEDIA_ROOT=/data/media
EXPOSE 5000
CMD ["gunicorn", "--workers", "3", "--threads", "4", "--bind", "0.0.0.0:5000", "cityreport:create_app()"]
