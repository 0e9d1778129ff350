"""The translation catalogues: complete, compiled, and written with the right Romanian letters."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from cityreport import i18n_tools
from cityreport.config import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parents[2]
# Romanian writes s and t with a comma below (U+0219, U+021B); the cedilla forms are a legacy mistake.
CEDILLA = re.compile("[\u015e\u015f\u0162\u0163]")
SCANNED = ("cityreport/**/*.py", "cityreport/**/*.html", "cityreport/**/*.txt", "cityreport/**/*.xml",
           "cityreport/translations/**/*.po", "static/**/*.js", "static/**/*.webmanifest", "static/**/*.css",
           "README.md", "tests/**/*.json", "migrations/**/*.py")


@pytest.fixture(scope="module")
def template() -> Catalog:
    return i18n_tools.extract()


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_message_in_the_code_and_templates_is_translated(template, locale):
    missing = i18n_tools.untranslated(i18n_tools.read_catalog(locale), template)
    assert missing == [], f"{len(missing)} msgids have no {locale} translation; run `make translations` " \
                          f"and translate them: {missing[:15]}"


def test_extraction_finds_template_python_and_email_strings(template):
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    assert "Report a problem" in ids  # base.html
    assert "Skip to content" in ids  # base.html
    assert any(ref[0].startswith("cityreport/templates/email/") for m in template for ref in m.locations)
    assert any(ref[0].endswith(".py") for m in template for ref in m.locations)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_compiled_catalogue_matches_its_po_file(locale):
    catalog = i18n_tools.read_catalog(locale)
    with i18n_tools.mo_path(locale).open("rb") as fileobj:
        mo = gettext.GNUTranslations(fileobj)
    expected = {}
    for message in catalog:
        if not message.id or "fuzzy" in message.flags:
            continue
        prefix = f"{message.context}\x04" if message.context else ""  # how gettext keys a msgctxt
        if isinstance(message.id, (tuple, list)):
            for index, text in enumerate(message.string):
                if text:
                    expected[(prefix + message.id[0], index)] = text
        elif message.string:
            expected[prefix + message.id] = message.string
    actual = {key: value for key, value in mo._catalog.items() if key != ""}
    stale = sorted(str(k) for k in expected.keys() ^ actual.keys()) + \
        sorted(str(k) for k in expected.keys() & actual.keys() if expected[k] != actual[k])
    assert stale == [], f"{locale}/messages.mo is stale; run `make translations`: {stale[:10]}"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_translations_keep_the_placeholders(locale):
    catalog = i18n_tools.read_catalog(locale)
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []


def test_english_catalogue_is_the_source_text_unless_reworded():
    catalog = i18n_tools.read_catalog("en")
    assert catalog.get("Report a problem").string == "Report a problem"


def test_romanian_uses_comma_below_letters_everywhere():
    offenders = []
    for pattern in SCANNED:
        for path in ROOT.glob(pattern):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if CEDILLA.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert offenders == []


def test_romanian_catalogue_uses_romanian_diacritics():
    # Guards against a catalogue saved without diacritics ("sesizare" is fine, "Trimiteti" is not).
    catalog = i18n_tools.read_catalog("ro")
    text = " ".join(m.string for m in catalog if m.id and isinstance(m.string, str))
    assert "ț" in text and "ș" in text and "ă" in text and "î" in text
    assert re.search(r"\bTrimiteti\b|\bsesizarii\b", text) is None


def test_cedilla_detector_catches_the_legacy_letters():
    assert CEDILLA.search("Timi\u015foara")
    assert CEDILLA.search("str\u0103zi \u0163in")
    assert not CEDILLA.search("Timișoara, străzi, țin")
