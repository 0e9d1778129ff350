"""/stats, the per-scope pages and the annual report (HTML, CSV, PDF) read the stored snapshots."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from cityreport.indicators import services
from cityreport.reports import services as reports
from cityreport.reports.services import NewReport
from tests.conftest import CENTER

NOW = datetime(2026, 4, 20, 12, tzinfo=UTC)


@pytest.fixture()
def built(db_session, make_jurisdiction, make_department, make_category):
    make_jurisdiction(population=50_000)
    roads = make_department(slug="roads", name_en="Roads", name_ro="Drumuri")
    make_department(slug="quiet", name_en="Quiet Office", name_ro="Biroul Liniștit")
    pothole = make_category(code="pothole", name_en="Pothole", name_ro="Groapă", default_department=roads,
                            resolve_target_days=10)
    for month in (2, 3):
        for i in range(12):
            created = datetime(2026, month, 2 + i, 9, tzinfo=UTC)
            report = reports.create_report(NewReport(category=pothole, lat=CENTER[0] + i / 1000, lon=CENTER[1],
                                                     description="Groapă", created_at=created), notify=False)
            if i % 3:
                reports.change_status(report, "fixed", at=created + timedelta(days=i % 5 + 1), notify=False)
    for month in (date(2026, 2, 1), date(2026, 3, 1)):
        services.build_month(month, now=NOW)
    return {"roads": roads, "pothole": pothole}


def test_stats_shows_real_figures_with_their_n_and_the_methodology(built, client):
    page = client.get("/stats", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "How responsive is the city hall?" in html
    assert "<svg" in html and "Reports received and closed per month" in html
    assert "n&nbsp;=&nbsp;" in html
    assert "Roads" in html and "Quiet Office" in html and "Pothole" in html
    assert "small sample" in html  # the quiet department received nothing
    assert "How these figures are computed" in html and "Kaplan–Meier" in html
    # Charts are drawn on the server: nothing is loaded from elsewhere.
    assert 'src="http' not in html and 'href="http' not in html


def test_scope_pages_show_twelve_months(built, client):
    page = client.get("/stats/departments/roads", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("not computed") == 10  # 12 months shown, 2 built
    assert client.get("/stats/categories/pothole").status_code == 200
    assert client.get("/stats/departments/nowhere").status_code == 404


def test_stats_without_any_snapshot_says_so(client):
    page = client.get("/stats", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "No month has been computed yet" in page.get_data(as_text=True)


def test_annual_report_html_pools_the_months(built, client):
    page = client.get("/reports/annual/2026", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Annual accountability report 2026" in html
    assert "covers 2 of the 12 months" in html
    assert "Where reports came from" in html and "<polygon" in html
    assert "Roads" in html and "Pothole" in html
    assert client.get("/reports/annual/2019").status_code == 404


def test_annual_csv_has_the_year_and_each_month(built, client):
    response = client.get("/reports/annual/2026.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    city_year = next(r for r in rows if r["period"] == "2026" and r["scope"] == "city")
    assert city_year["received"] == "24" and city_year["months"] == "2"
    months = {r["period"]: r for r in rows if r["scope"] == "city" and r["period"] != "2026"}
    assert set(months) == {"2026-02", "2026-03"} and months["2026-03"]["received"] == "12"
    assert any(r["scope"] == "department" and r["id"] == "roads" for r in rows)
    assert "email" not in response.get_data(as_text=True).lower()


def test_annual_pdf_renders_without_the_network(built, client):
    from PIL import ImageFile

    response = client.get("/reports/annual/2026.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and len(response.data) > 10_000
    # WeasyPrint's import flips a Pillow-wide switch; the photo intake must keep refusing truncated files.
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
