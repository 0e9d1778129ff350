# CityReport's image: gunicorn serves the app, `python -m worker` runs the worker (docker-compose.yml).
# Two stages: the first builds the virtual environment, the second carries it with only the Debian
# packages the app uses at run time, and runs as an unprivileged user. Debian 12, as `make` assumes.

FROM python:3.11-slim-bookworm AS build
# Every dependency ships wheels for this platform; the compilers are here for one that does not, and stay
# in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY cityreport ./cityreport
COPY worker ./worker
COPY migrations ./migrations
COPY static ./static
# Editable, so that the package finds migrations/ and static/ beside it in /app, as in a checkout.
RUN pip install --upgrade pip setuptools wheel && pip install -e . && python -m compileall -q cityreport worker

FROM python:3.11-slim-bookworm
COPY scripts/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && apt-get install -y --no-install-recommends $(grep -v -e '^#' -e '^$' /tmp/runtime-packages.txt | cut -d: -f1) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin cityreport \
 && mkdir -p /data/media /app/instance \
 && chown cityreport:cityreport /data/media /app/instance
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 CITYREPORT_ENV=production MEDIA_ROOT=/data/media
WORKDIR /app
USER cityreport
EXPOSE 5000
CMD ["gunicorn", "--workers", "3", "--threads", "4", "--bind", "0.0.0.0:5000", "cityreport:create_app()"]
