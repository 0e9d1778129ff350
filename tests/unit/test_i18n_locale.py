"""Language choice (switch, cookie, Accept-Language, default) and locale formatting in the city's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask_babel import gettext

from cityreport import create_app, i18n
from tests.conftest import test_config as make_config


@pytest.fixture(scope="module")
def app():
    return create_app(make_config())


@pytest.fixture(scope="module")
def english_default_app():
    return create_app(make_config(DEFAULT_LOCALE="en"))


def _locale(app, path="/", headers=None, cookie=None):
    with app.test_request_context(path, headers=headers or {}):
        if cookie:
            from flask import request

            request.cookies = {i18n.LANG_COOKIE: cookie}
        return i18n.current_language()


def test_default_locale_when_the_browser_states_nothing(app, english_default_app):
    assert _locale(app) == "ro"
    assert _locale(english_default_app) == "en"


def test_accept_language_picks_a_supported_language(app):
    assert _locale(app, headers={"Accept-Language": "en-GB,en;q=0.9"}) == "en"
    assert _locale(app, headers={"Accept-Language": "de-DE,ro;q=0.5,en;q=0.3"}) == "ro"
    assert _locale(app, headers={"Accept-Language": "fr-FR,de;q=0.8"}) == "ro"


def test_cookie_beats_accept_language_and_query_beats_cookie(app):
    assert _locale(app, headers={"Accept-Language": "en"}, cookie="ro") == "ro"
    assert _locale(app, path="/?lang=en", headers={"Accept-Language": "ro"}, cookie="ro") == "en"


def test_unknown_choice_is_ignored(app):
    assert _locale(app, path="/?lang=xx", headers={"Accept-Language": "en"}, cookie="zz") == "en"


def test_messages_are_translated_for_the_chosen_language(app):
    with app.test_request_context("/?lang=ro"):
        assert gettext("Report a problem") == "Semnalați o problemă"
    with app.test_request_context("/?lang=en"):
        assert gettext("Report a problem") == "Report a problem"


def test_datetime_shown_in_city_time_zone_for_each_locale(app):
    moment = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)  # 00:30 on the 27th in Bucharest
    with app.test_request_context("/?lang=ro"):
        assert i18n.datetime_local(moment, "short") == "27.11.2026, 00:30"
        assert i18n.datetime_local(moment.replace(tzinfo=None), "short") == "27.11.2026, 00:30"
        assert i18n.datetime_local("2026-11-26T22:30:00Z", "short") == "27.11.2026, 00:30"
        assert i18n.date_local(moment) == "27 nov. 2026"
        assert i18n.date_local(date(2026, 7, 1), "long") == "1 iulie 2026"
    with app.test_request_context("/?lang=en"):
        assert i18n.datetime_local(moment, "short") == "11/27/26, 12:30\u202fAM"
        assert i18n.date_local(moment) == "Nov 27, 2026"
    with app.test_request_context("/"):
        assert i18n.datetime_local(None) == ""


def test_summer_time_is_applied(app):
    with app.test_request_context("/?lang=ro"):
        assert i18n.datetime_local(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "HH:mm") == "15:00"


def test_numbers_and_percentages_use_the_locale_separators(app):
    with app.test_request_context("/?lang=ro"):
        assert i18n.number(1234567.5) == "1.234.567,5"
        assert i18n.number(Decimal("2.456"), 1) == "2,5"
        assert i18n.number(None) == "—"
        assert i18n.percent(0.875) == "88\u00a0%"
        assert i18n.percent(0.1234, 1) == "12,3\u00a0%"
    with app.test_request_context("/?lang=en"):
        assert i18n.number(1234567.5) == "1,234,567.5"
        assert i18n.percent(0.1234, 1) == "12.3%"


def test_filters_are_registered_for_templates(app):
    with app.test_request_context("/?lang=ro"):
        rendered = app.jinja_env.from_string(
            "{{ when|datetime_local('short') }} {{ 1234.5|number }} {{ 0.5|percent }}").render(
            when=datetime(2026, 1, 15, 10, 0, tzinfo=UTC))
    assert rendered == "15.01.2026, 12:00 1.234,5 50\u00a0%"
