"""Language choice: the user's switch (a cookie), then Accept-Language, then DEFAULT_LOCALE."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale

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
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["current_language"] = current_language


def current_language() -> str:
    """The request's language code, "ro" or "en"."""
    locale = get_locale()
    return locale.language if locale else current_app.config["DEFAULT_LOCALE"]
