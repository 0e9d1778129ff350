"""The demo city's /stats and annual report in Chromium on a phone: real figures, no sideways scroll."""

import pytest

from cityreport import demo
from cityreport.indicators import jobs
from cityreport.models_base import utcnow
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_demo_stats_and_annual_report_show_real_figures(live_server, page, committed):
    demo.load()
    committed.commit()
    built = jobs.build_previous_months() + jobs.build_missing_months()
    assert built, "the demo has complete months to compute"
    page.goto(live_server.url + "/stats")
    assert page.locator("h1").count() == 1
    headline = page.locator("ul.headline strong").first.inner_text()
    assert headline.strip() not in ("", "—")
    assert page.locator("svg.chart").count() >= 4
    assert page.locator("table.scopes tbody tr").count() >= 9
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "stats-phone")

    year = utcnow().year if built[-1].startswith(str(utcnow().year)) else int(built[-1][:4])
    page.goto(f"{live_server.url}/reports/annual/{year}")
    assert str(year) in page.locator("h1").inner_text()
    assert page.locator("figure.map svg polygon").count() > 10
    assert page.locator(".departments tbody tr").count() >= 9
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "annual-phone")
    page.set_viewport_size({"width": 1200, "height": 900})
    page.emulate_media(media="print")
    screenshot(page, "annual-print")
