"""The annual report PDF in Romanian: comma-below ș and ț survive into the PDF's text, no cedilla forms,
and the text is extractable (the glyphs come from an embedded font, not boxes)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from tests.integration.test_stats_pages import built  # noqa: F401  (two computed months)

CEDILLA = re.compile("[\u015e\u015f\u0162\u0163]")


def _pdf_text(data: bytes) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "annual.pdf"
        path.write_bytes(data)
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                              text=True).stdout
        fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return text, fonts


def test_annual_pdf_keeps_comma_below_letters_in_romanian_and_speaks_english_too(built, client):  # noqa: F811
    response = client.get("/reports/annual/2026.pdf", headers={"Accept-Language": "ro"})
    assert response.status_code == 200
    text, fonts = _pdf_text(response.data)
    assert "Raportul anual de responsabilitate 2026" in text
    assert "Cum se calculează aceste cifre" in text
    assert "sesizările cetățenilor" in text and " și " in text
    assert "\u0219" in text and "\u021b" in text
    assert not CEDILLA.search(text)
    assert "\ufffd" not in text
    embedded = [line for line in fonts.splitlines()[2:] if line.split()[-5:-4] == ["yes"]]
    assert embedded, fonts

    english, _fonts = _pdf_text(client.get("/reports/annual/2026.pdf", headers={"Accept-Language": "en"}).data)
    assert "Annual accountability report 2026" in english
    assert "How these figures are computed" in english
