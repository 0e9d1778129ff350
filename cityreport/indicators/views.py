"""Public indicators: the JSON API, /stats and the mayor's annual report (HTML, PDF, CSV)."""

from __future__ import annotations

import csv
import io
import threading
from urllib.parse import urlparse

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from PIL import ImageFile

from cityreport.core.inputs import read
from cityreport.errors import NotFound
from cityreport.i18n import current_language
from cityreport.indicators import pages, rules, schemas, services
from cityreport.static_files import STATIC_DIR

bp = Blueprint("indicators", __name__)


@bp.get("/api/v1/indicators")
def api_month():
    month = read(schemas.MonthQuery, request.args).month
    payload = services.month_payload(month, current_language())
    if payload is None:
        raise NotFound(_("The indicators for %(month)s have not been computed.", month=rules.format_month(month)))
    response = jsonify(payload)
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@bp.get("/stats")
def stats():
    page = pages.stats_page()
    city_charts = pages.scope_charts(page.city, page.labels) if page.city else {}
    return render_template("indicators/stats.html", page=page, charts=city_charts, scope=page.city)


@bp.get("/stats/departments/<slug>")
def department_stats(slug: str):
    return _scope(services.DEPARTMENT, slug)


@bp.get("/stats/categories/<code>")
def category_stats(code: str):
    return _scope(services.CATEGORY, code)


def _scope(kind: str, key: str):
    page, scope = pages.scope_page(kind, key)
    if scope is None:
        raise NotFound(_("There are no statistics for this department or category."))
    return render_template("indicators/scope.html", page=page, scope=scope,
                           charts=pages.scope_charts(scope, page.labels))


def _annual(year: int) -> pages.AnnualReport:
    if not 1970 <= year <= 9998:
        raise NotFound()
    report = pages.annual_report(year)
    if report is None:
        raise NotFound(_("No month of %(year)s has been computed yet.", year=year))
    return report


@bp.get("/reports/annual/<int:year>")
def annual(year: int):
    report = _annual(year)
    return render_template("indicators/annual.html", report=report, city_name=pages.city_name(), pdf=False)


@bp.get("/reports/annual/<int:year>.pdf")
def annual_pdf(year: int):
    report = _annual(year)
    html = render_template("indicators/annual.html", report=report, city_name=pages.city_name(), pdf=True)
    document = _pdf(html)
    response = Response(document, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="raport-anual-{year}.pdf"'
    return response


@bp.get("/reports/annual/<int:year>.csv")
def annual_csv(year: int):
    report = _annual(year)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=pages.ANNUAL_CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(pages.annual_csv_rows(report))
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="indicatori-{year}.csv"'
    return response


_IMPORT_LOCK = threading.Lock()


def _weasyprint():
    """Import WeasyPrint without letting it change Pillow for the whole process.

    Its import sets PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True, which would make the photo intake
    accept truncated uploads; the flag is put back at once (our PDF has no raster images).
    """
    with _IMPORT_LOCK:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        try:
            import weasyprint  # deferred: seconds of start-up, and it changes Pillow (above)
            import weasyprint.urls  # deferred: as above
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before
    return weasyprint


def _pdf(html: str) -> bytes:
    weasyprint = _weasyprint()
    HTML = weasyprint.HTML
    URLFetcher, URLFetcherResponse = weasyprint.urls.URLFetcher, weasyprint.urls.URLFetcherResponse

    static_prefix = url_for("static", filename="").split("?")[0]

    class LocalOnly(URLFetcher):
        """Our stylesheet comes from disk and nothing else is fetched: the PDF never needs the network."""

        def fetch(self, url, headers=None):
            path = urlparse(url).path
            if path.startswith(static_prefix):
                target = (STATIC_DIR / path[len(static_prefix):]).resolve()
                if STATIC_DIR in target.parents and target.is_file():
                    kind = "text/css" if target.suffix == ".css" else "application/octet-stream"
                    return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": kind})
            raise ValueError(f"refusing to fetch {url} while rendering a PDF")

    return HTML(string=html, base_url=request.url_root, url_fetcher=LocalOnly()).write_pdf()
