"""Translation catalogues: extract the messages, merge them into the catalogues, compile them.

`make translations` runs `python -m cityreport.i18n_tools`; the tests use the same functions to check
that nothing is untranslated and that the committed .mo files match their .po files.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from cityreport.config import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "babel.cfg"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2)}
PROJECT = "CityReport"


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def mo_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"


def extract() -> Catalog:
    """Every msgid in the Python code and the templates, as a template catalogue."""
    with MAPPING.open() as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, str(MAPPING))
    template = Catalog(project=PROJECT, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("Translators:",),
            strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def read_catalog(locale: str) -> Catalog:
    with po_path(locale).open("rb") as fileobj:
        return read_po(fileobj, locale=locale)


def update(template: Catalog, locales: Iterable[str] = SUPPORTED_LOCALES) -> None:
    """Merge new msgids into each catalogue and drop the ones no longer used.

    English source strings are the English text, so the English catalogue is filled with the msgid
    wherever it has no translation of its own (an edited English wording is kept).
    """
    for locale in locales:
        path = po_path(locale)
        if path.exists():
            catalog = read_catalog(locale)
            # A stable header keeps `make translations` from rewriting files whose messages did not change.
            template.creation_date = catalog.creation_date
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=locale, project=PROJECT, version="1", charset="utf-8",
                              copyright_holder="CityReport contributors", fuzzy=False,
                              language_team=f"{locale} <noreply@localhost>",
                              msgid_bugs_address="noreply@localhost")
        # Fuzzy matching would put a neighbour's translation on a new string; every string is translated
        # by a person instead, and the completeness test shows what is missing.
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if locale == "en":
            for message in catalog:
                if message.id and not _translated(message):
                    message.string = message.id if isinstance(message.id, str) else tuple(message.id)
                    message.flags.discard("fuzzy")
        with path.open("wb") as fileobj:
            write_po(fileobj, catalog, width=110, sort_output=True, include_previous=False, include_lineno=False)


def compile_catalogs(locales: Iterable[str] = SUPPORTED_LOCALES) -> None:
    for locale in locales:
        data = compiled(read_catalog(locale))
        path = mo_path(locale)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _translated(message: Message) -> bool:
    if "fuzzy" in message.flags:
        return False
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return bool(strings) and all(strings)


def untranslated(catalog: Catalog, template: Catalog) -> list[str]:
    """The template's msgids the catalogue lacks or leaves empty or fuzzy."""
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        if found is None or not _translated(found):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def main(argv: list[str]) -> int:
    template = extract()
    update(template)
    compile_catalogs()
    for locale in SUPPORTED_LOCALES:
        missing = untranslated(read_catalog(locale), template)
        print(f"{locale}: {len(template)} messages, {len(missing)} untranslated")
        for msgid in missing[:20]:
            print(f"  {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
