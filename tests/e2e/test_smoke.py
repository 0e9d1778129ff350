import pytest

from cityreport import demo

pytestmark = pytest.mark.e2e


def test_home_page_of_the_demo_city_renders_on_a_phone(live_server, page, committed):
    demo.load()
    committed.commit()
    page.goto(live_server.url + "/")
    assert "Someșeni" in page.locator("h1").inner_text()
    assert page.evaluate("document.documentElement.lang") == "ro"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page must not scroll sideways on a phone"
