"""Contact details: one rule for an e-mail address and one for a phone number (pure).

Residents, followers, departments and staff accounts all give addresses; they are all checked here, so
an address the intake accepts is one the mailer can write to. The rule accepts what mail systems
accept (RFC 5321/5322 dot-atoms, with RFC 6531 UTF-8): ``o'brien@example.ro``, ``ana+cityreport@x.ro``,
``ionuț@primăria.ro``, an intranet's ``registratura@primarie.local``; it refuses what no system delivers
(spaces, quotes, a missing or dotless domain, two dots in a row). Addresses are stored lower-cased.
"""

from __future__ import annotations

import re

EMAIL_MAX = 254  # RFC 5321: the longest path a server must accept
LOCAL_MAX = 64
LABEL_MAX = 63
# RFC 5322 atext, plus any non-ASCII character that is not a space (RFC 6531).
_ATOM = re.compile(r"(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|[^\x00-\x7f\s])+")
# A domain label: letters and digits of any script, with hyphens inside.
_LABEL = re.compile(r"[^\W_](?:[^\W_]|-)*")

PHONE_MAX = 40
# Digits with the separators people write: +40 721 123 456, (0264) 59.60.70, 0721-123-456.
_PHONE = re.compile(r"\+?[0-9 ()./-]+")
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 6, 15  # a short local number .. the E.164 maximum


def normalise_email(raw: str | None) -> str | None:
    """The address, trimmed and lower-cased, if mail systems accept it; else None."""
    value = (raw or "").strip().lower()
    if not value or len(value) > EMAIL_MAX or value.count("@") != 1:
        return None
    local, domain = value.split("@")
    if not local or len(local) > LOCAL_MAX or not all(_ATOM.fullmatch(atom) for atom in local.split(".")):
        return None
    labels = domain.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return None
    if not all(len(label) <= LABEL_MAX and _LABEL.fullmatch(label) and not label.endswith("-") for label in labels):
        return None
    return value


def is_email(raw: str | None) -> bool:
    return normalise_email(raw) is not None


def normalise_phone(raw: str | None) -> str | None:
    """The number as typed (trimmed) if it reads as a phone number; else None."""
    value = (raw or "").strip()
    if not value or len(value) > PHONE_MAX or not _PHONE.fullmatch(value):
        return None
    digits = sum(ch.isdigit() for ch in value)
    return value if PHONE_MIN_DIGITS <= digits <= PHONE_MAX_DIGITS else None
