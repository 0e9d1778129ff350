"""Pure rules about staff accounts."""

from __future__ import annotations

import re

MIN_PASSWORD_LENGTH = 12
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def password_problem(password: str) -> str | None:
    """Why a password is unacceptable, or None. Length is what matters (NIST SP 800-63B)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters"
    if password.strip() == "":
        return "must not be blank"
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def is_email(value: str) -> bool:
    return bool(EMAIL_RE.match(value.strip())) and len(value) <= 254
