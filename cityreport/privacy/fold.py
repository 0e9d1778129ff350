"""Diacritic-free, lower-case copies of text that keep every character at its offset."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Both Romanian spellings, comma-below (ș ț) and the older cedilla (written as escapes here, as
# the project's text never uses them), fold to the same letter.
_TABLE = str.maketrans("ăâîș\u015fț\u0163ĂÂÎȘ\u015eȚ\u0162", "aaissttAAISSTT")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFD", char)[0]
    lower = base.lower()
    return lower if len(lower) == 1 else base


def fold(text: str) -> str:
    """`text` without diacritics and in lower case, the same length, so offsets carry over."""
    quick = text.translate(_TABLE).lower()
    if len(quick) == len(text) and quick.isascii():
        return quick
    return "".join(_fold_char(char) for char in text)
