"""Page weight: the report page (HTML, CSS, JS, Leaflet; map tiles excluded) is at most 250 kB as sent over
the wire, measured in Chromium from the bytes it actually received."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e

BUDGET = 250 * 1024


def _measure(browser, url: str) -> dict:
    context = browser.new_context(viewport=PHONE, locale="ro-RO", service_workers="block")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    urls, received, decoded = {}, {}, {}
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on("Network.dataReceived", lambda e: decoded.__setitem__(
        e["requestId"], decoded.get(e["requestId"], 0) + e["dataLength"]))
    cdp.on("Network.loadingFinished", lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]))
    try:
        page.goto(url, wait_until="networkidle")
    finally:
        context.close()
    rows = [(urls.get(rid, "?"), size, decoded.get(rid, 0)) for rid, size in received.items()]
    # Tiles come from the tile server configured by the city; they are excluded from the budget.
    rows = [r for r in rows if "/tile" not in r[0]]
    return {"rows": rows, "total": sum(r[1] for r in rows), "decoded": sum(r[2] for r in rows)}


def test_report_page_weighs_at_most_250_kb_compressed(live_server, browser, capsys):
    figures = _measure(browser, live_server.url + "/report")
    with capsys.disabled():
        print(f"\n/report: {len(figures['rows'])} requests, {figures['total'] / 1024:.1f} kB transferred "
              f"({figures['decoded'] / 1024:.1f} kB uncompressed); budget {BUDGET / 1024:.0f} kB")
        for url, size, raw in sorted(figures["rows"], key=lambda r: -r[1]):
            print(f"  {size / 1024:7.1f} kB  ({raw / 1024:6.1f} kB raw)  {url.split('?')[0].replace(live_server.url, '')}")
    assert any(url.endswith("/report") for url, _, _ in figures["rows"])
    assert any("leaflet.js" in url for url, _, _ in figures["rows"])
    assert figures["total"] <= BUDGET
    # Compression is what keeps it there: the bytes on the wire are well under the decoded size.
    assert figures["total"] < figures["decoded"] * 0.6


def test_home_page_also_fits_the_budget(live_server, browser, capsys):
    figures = _measure(browser, live_server.url + "/")
    with capsys.disabled():
        print(f"\n/: {len(figures['rows'])} requests, {figures['total'] / 1024:.1f} kB transferred "
              f"({figures['decoded'] / 1024:.1f} kB uncompressed)")
    assert figures["total"] <= BUDGET
