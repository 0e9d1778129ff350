"""With MAP_TILE_URL unset, a phone's report form draws the city's own basemap: at street level the
streets and their names are visible, and no request leaves the site."""

from __future__ import annotations

import pytest

from cityreport import demo, demo_data
from cityreport.places.demo_register import load_demo_register
from cityreport.places.services import search
from tests.e2e.conftest import SCREENSHOTS, add_roads_city

pytestmark = pytest.mark.e2e

# Pixels of the label colour (static/js/basemap.js COLOURS.text, #2e2a26) and of a street's fill.
COUNT_PIXELS = """() => {
  let text = 0, street = 0, tiles = 0;
  for (const canvas of document.querySelectorAll('#report-map .leaflet-tile-pane canvas')) {
    tiles += 1;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (r < 80 && g < 80 && b < 80) text += 1;
      if (r > 250 && g > 250 && b > 250) street += 1;
    }
  }
  return { text, street, tiles };
}"""


@pytest.fixture()
def city(app, committed):
    add_roads_city(committed, department_slug="roads", categories={"pothole": ("Groapă în carosabil", "Pothole")})
    load_demo_register(demo.city_boundary(), demo_data.CITY["center"])
    committed.commit()
    assert app.config["MAP_TILE_URL"] is None
    house = search("memorandumului 12")[0]
    return {"lat": house.lat, "lon": house.lon}


def test_phone_sees_streets_and_their_names_at_street_level(live_server, page, city):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    # The form centres on a given place at zoom 16; one more step is a phone's street level.
    page.goto(f"{live_server.url}/report?lat={city['lat']:.6f}&lon={city['lon']:.6f}")
    page.wait_for_load_state("networkidle")
    page.locator("#report-map .leaflet-control-zoom-in").click()
    page.wait_for_function("document.querySelectorAll('#report-map .leaflet-tile-pane canvas').length > 0")
    page.wait_for_load_state("networkidle")
    # The renderer draws labels after the tiles and redraws a tile when a neighbour's label reaches into
    # it: wait until the picture stops changing.
    previous = None
    for _ in range(20):
        page.wait_for_timeout(400)
        current = page.evaluate(COUNT_PIXELS)
        if current == previous:
            break
        previous = current
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#report-map").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "places-basemap-phone.png"))
    page.locator("#report-map").screenshot(path=str(SCREENSHOTS / "places-basemap-phone-map.png"))
    pixels = page.evaluate(COUNT_PIXELS)
    assert pixels["tiles"] >= 1
    assert pixels["street"] > 20_000, pixels  # white street fill on the land colour
    assert pixels["text"] > 500, pixels  # dark label text: the street names
    assert "no-tiles" not in (page.locator("#report-map").get_attribute("class") or "")
    assert any("/tiles/17/" in url or "/tiles/16/" in url for url in requests)
    assert all(url.startswith(live_server.url) or url.startswith(("data:", "blob:")) for url in requests), \
        [url for url in requests if not url.startswith(live_server.url)]
    attribution = page.locator("#report-map .leaflet-control-attribution").inner_text()
    assert "Registrul stradal demo" in attribution
