import pytest

from cityreport.config import ConfigError, load, normalise_database_url


def test_development_has_safe_defaults():
    config = load(env={})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://postgres@127.0.0.1:5432/cityreport"
    assert config["REDIS_URL"].startswith("redis://127.0.0.1:6379")
    assert config["CITY_TIMEZONE"] == "Europe/Bucharest"
    assert config["DEFAULT_LOCALE"] == "ro"
    assert config["MAP_TILE_URL"] is None
    assert len(config["SECRET_KEY"]) >= 32
    # The web process and the worker read the same development key.
    assert load(env={})["SECRET_KEY"] == config["SECRET_KEY"]
    assert config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without_required_settings(missing):
    env = {"CITYREPORT_ENV": "production", "SECRET_KEY": "s" * 40,
           "DATABASE_URL": "postgresql://u@db/city"}
    del env[missing]
    with pytest.raises(ConfigError, match=missing):
        load(env=env)


def test_production_with_settings_uses_secure_cookies():
    config = load(env={"CITYREPORT_ENV": "production", "SECRET_KEY": "s" * 40, "DATABASE_URL": "postgresql://u@db/c"})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_prefixed_alias_is_accepted():
    config = load(env={"CITYREPORT_REDIS_URL": "redis://cache:6379/3", "CITYREPORT_RETENTION_MONTHS": "12"})
    assert config["REDIS_URL"] == "redis://cache:6379/3"
    assert config["RETENTION_MONTHS"] == 12


@pytest.mark.parametrize("url,expected", [
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
])
def test_database_url_forms(url, expected):
    assert normalise_database_url(url) == expected


@pytest.mark.parametrize("env,message", [
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"CITY_TIMEZONE": "Mars/Olympus"}, "CITY_TIMEZONE"),
    ({"DEFAULT_LOCALE": "fr"}, "DEFAULT_LOCALE"),
    ({"MAIL_PORT": "twenty-five"}, "MAIL_PORT"),
    ({"RATELIMIT_ENABLED": "maybe"}, "RATELIMIT_ENABLED"),
    ({"CITYREPORT_ENV": "staging"}, "CITYREPORT_ENV"),
])
def test_bad_values_fail_fast_naming_the_setting(env, message):
    with pytest.raises(ConfigError, match=message):
        load(env=env)


def test_development_secret_key_is_created_once_and_private(tmp_path):
    from cityreport.config import development_secret_key

    key = development_secret_key(tmp_path)
    assert development_secret_key(tmp_path) == key and len(key) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
