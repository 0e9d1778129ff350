"""Language choice: the user's switch (a cookie), then Accept-Language, then DEFAULT_LOCALE."""

from __future__ import annotations

from datetime import date, datetime
from numbers import Number

from babel.dates import get_date_format
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale, refresh

from cityreport.config import SUPPORTED_LOCALES
from cityreport.extensions import babel

LANG_COOKIE = "lang"


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["DEFAULT_LOCALE"]
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["CITY_TIMEZONE"]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # Flask-Babel keeps the chosen locale on `g`, which outlives a request when an app context is reused
    # (a worker job, a test); every request chooses its language afresh.
    app.before_request(refresh)


def current_language() -> str:
    """The request's language code, "ro" or "en"."""
    locale = get_locale()
    return locale.language if locale else current_app.config["DEFAULT_LOCALE"]


# Formatting for the request's locale. Datetimes are stored in UTC (naive ones are taken as UTC) and
# shown in CITY_TIMEZONE, through the timezone selector above.


def datetime_local(value: datetime | str | None, format: str = "medium") -> str:
    """A moment in the city's time zone, e.g. "26 nov. 2026, 14:05:00" (ro) / "Nov 26, 2026, 2:05:00 PM" (en)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return format_datetime(value, format)


def date_local(value: date | datetime | str | None, format: str = "medium") -> str:
    """A calendar date; a datetime is first moved into the city's time zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return format_datetime(value, _date_pattern(format))
    return format_date(value, format)


def _date_pattern(format: str) -> str:
    if format in ("short", "medium", "long", "full"):
        return get_date_format(format, locale=get_locale()).pattern
    return format


def number(value: Number | str | None, digits: int | None = None) -> str:
    """A number with the locale's separators: 1.234,5 (ro) / 1,234.5 (en); `digits` fixes the decimals."""
    if value is None or value == "":
        return "—"
    if digits is None:
        return format_decimal(value)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern)


def percent(value: Number | None, digits: int = 0) -> str:
    """A share (0.5) as a percentage for the locale: "50 %" (ro) / "50%" (en)."""
    if value is None:
        return "—"
    pattern = get_locale().percent_formats[None].pattern
    if digits > 0:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return format_percent(value, format=pattern)
