"""The report form on a 390x844 phone in both languages, saved to instance/screenshots/ for a person to look
at; the test checks what a screenshot would show: nothing wider than the screen, the language's words,
and big enough tap targets."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_offline import city  # noqa: F401  (a small city with one category)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("language, heading, button", [
    ("ro", "Semnalați o problemă", "Trimiteți sesizarea"),
    ("en", "Report a problem", "Send the report"),
])
@pytest.mark.usefixtures("city")
def test_report_form_on_a_phone(live_server, page, language, heading, button):
    page.goto(f"{live_server.url}/report?lang={language}")
    assert page.locator("h1").inner_text() == heading
    assert page.locator("#report-form button[type=submit]").inner_text() == button
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    small = page.evaluate("""() => [...document.querySelectorAll('main input, main select, main textarea, main button')]
        .filter(e => e.offsetParent !== null && e.type !== 'hidden')
        .filter(e => { const r = e.getBoundingClientRect(); return r.height < 24; })
        .map(e => e.id || e.name)""")
    assert small == [], f"tap targets smaller than 24 px: {small}"
    path = screenshot(page, f"report-form-{language}")
    assert path.stat().st_size > 10_000
