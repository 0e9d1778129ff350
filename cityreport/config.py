"""The one place configuration is read.

Every setting comes from an environment variable; each also accepts a ``CITYREPORT_``-prefixed
alias so a host running several services can namespace them. Production refuses to start
without the settings that have no safe default.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cityreport.media.rules import parse_s3_url

DEV_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cityreport"
DEV_REDIS_URL = "redis://127.0.0.1:6379/0"
SUPPORTED_LOCALES = ("ro", "en")


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration cannot work."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any = None
    kind: str = "str"  # str | int | bool | path
    doc: str = ""
    required_in_production: bool = False


# Ordered as the README's configuration table lists them.
SETTINGS: tuple[Setting, ...] = (
    Setting("CITYREPORT_ENV", "development", doc="`development` or `production`."),
    Setting("DATABASE_URL", DEV_DATABASE_URL, doc="PostgreSQL+PostGIS; `postgresql://` or `postgresql+psycopg://`.",
            required_in_production=True),
    Setting("REDIS_URL", DEV_REDIS_URL, doc="Redis for the job queues and rate limits."),
    Setting("SECRET_KEY", None, doc="Signs sessions, CSRF tokens and e-mail links.", required_in_production=True),
    Setting("MEDIA_ROOT", "instance/media", kind="path", doc="Where processed photos are stored on local disk."),
    Setting("MEDIA_STORAGE", None, doc="Unset: photos on local disk under `MEDIA_ROOT`. `s3://bucket/prefix`: in an "
                                       "S3-compatible bucket (AWS S3, MinIO, Ceph RGW), with the `S3_*` settings."),
    Setting("S3_ENDPOINT_URL", None, doc="The S3 API's address, e.g. `https://s3.primarie.ro` or `http://minio:9000`; "
                                         "unset means AWS S3 in `S3_REGION`."),
    Setting("S3_REGION", "us-east-1", doc="Region the requests are signed for; MinIO and Ceph accept the default."),
    Setting("S3_ACCESS_KEY_ID", None, doc="Access key; unset uses boto3's own chain (`AWS_ACCESS_KEY_ID`, "
                                          "`~/.aws`, an instance role)."),
    Setting("S3_SECRET_ACCESS_KEY", None, doc="Secret key, set together with `S3_ACCESS_KEY_ID`."),
    Setting("S3_ADDRESSING_STYLE", None, doc="`path` or `virtual`; unset: `path` when `S3_ENDPOINT_URL` is set, "
                                             "else `virtual`."),
    Setting("MAIL_SERVER", None, doc="SMTP host; unset in development writes mail to `instance/mail/`."),
    Setting("MAIL_PORT", 25, kind="int", doc="SMTP port."),
    Setting("MAIL_USE_TLS", False, kind="bool", doc="STARTTLS to the SMTP server."),
    Setting("MAIL_USERNAME", None, doc="SMTP user."),
    Setting("MAIL_PASSWORD", None, doc="SMTP password."),
    Setting("MAIL_DEFAULT_SENDER", "CityReport <noreply@localhost>", doc="From: of every e-mail."),
    Setting("PUBLIC_BASE_URL", "http://127.0.0.1:5000", doc="Absolute base for links in e-mails and feeds."),
    Setting("CITY_TIMEZONE", "Europe/Bucharest", doc="Month boundaries and displayed times use it."),
    Setting("DEFAULT_LOCALE", "ro", doc="`ro` or `en`; used when the browser states no preference."),
    Setting("MAP_TILE_URL", None, doc="Raster tile URL template of your own tile server or a provider, e.g. "
                                      "`https://tiles.example.ro/{z}/{x}/{y}.png`; unset draws the city's own "
                                      "basemap from its street register, with no third party."),
    Setting("RATELIMIT_ENABLED", True, kind="bool", doc="Per-IP limits on report creation and sign-in."),
    Setting("RETENTION_MONTHS", 24, kind="int", doc="Reporter contact details are erased this long after closing."),
    Setting("OPENDATA_LICENSE", "OGL-ROU-1.0", doc="Licence of the open data: `OGL-ROU-1.0`, `CC-BY-4.0`, "
                                                  "`CC0-1.0`, `ODC-BY-1.0`, or a licence URL."),
)


# Licences a city may choose by name; any other licence is given by its URL.
LICENCES = {
    "OGL-ROU-1.0": ("Open Government Licence România 1.0", "http://data.gov.ro/base/images/logoinst/OGL-ROU-1.0.pdf"),
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("Creative Commons Zero 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODC-BY-1.0": ("Open Data Commons Attribution 1.0", "https://opendatacommons.org/licenses/by/1-0/"),
}
def licence(setting: str) -> tuple[str, str]:
    """(name, URL) of the configured licence: a known short name, or a URL."""
    if setting in LICENCES:
        return LICENCES[setting]
    if setting.startswith(("http://", "https://")):
        return setting, setting
    raise ValueError(f"OPENDATA_LICENSE must be one of {', '.join(LICENCES)} or a licence URL, got {setting!r}")


def _lookup(env: Mapping[str, str], name: str) -> str | None:
    if name.startswith("CITYREPORT_"):
        return env.get(name)
    for key in (name, f"CITYREPORT_{name}"):
        value = env.get(key)
        if value is not None and value != "":
            return value
    return None


def _coerce(setting: Setting, raw: str) -> Any:
    if setting.kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{setting.name} must be a whole number, got {raw!r}") from None
    if setting.kind == "bool":
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{setting.name} must be true or false, got {raw!r}")
    return raw


def normalise_database_url(url: str) -> str:
    """Accept the URL forms that hosting panels hand out and pin the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith("postgresql+psycopg://"):
        return url
    raise ConfigError("DATABASE_URL must start with postgresql:// or postgresql+psycopg://")


INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def development_secret_key(directory: Path = INSTANCE_DIR) -> str:
    path = directory / "secret_key"
    try:
        key = path.read_text().strip()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _check_media_storage(values: dict[str, Any]) -> None:
    if values["MEDIA_STORAGE"]:
        try:
            parse_s3_url(values["MEDIA_STORAGE"])
        except ValueError as exc:
            raise ConfigError(f"MEDIA_STORAGE {exc}") from None
    if bool(values["S3_ACCESS_KEY_ID"]) != bool(values["S3_SECRET_ACCESS_KEY"]):
        raise ConfigError("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together")
    if values["S3_ADDRESSING_STYLE"] not in {None, "path", "virtual"}:
        raise ConfigError(f"S3_ADDRESSING_STYLE must be path or virtual, got {values['S3_ADDRESSING_STYLE']!r}")


def load(env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read, validate and return the Flask config mapping. Fails fast with one clear message."""
    env = os.environ if env is None else env
    overrides = dict(overrides or {})
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = _lookup(env, setting.name)
        if setting.name in overrides:
            values[setting.name] = overrides[setting.name]
        else:
            values[setting.name] = setting.default if raw is None else _coerce(setting, raw)

    mode = values["CITYREPORT_ENV"]
    if mode not in {"development", "production", "testing"}:
        raise ConfigError(f"CITYREPORT_ENV must be development or production, got {mode!r}")
    production = mode == "production"
    if production:
        missing = [s.name for s in SETTINGS if s.required_in_production
                   and _lookup(env, s.name) is None and not overrides.get(s.name)]
        if missing:
            raise ConfigError("Production start-up needs " + " and ".join(missing) +
                              " set in the environment; refusing to start with development defaults.")
    if not values["SECRET_KEY"]:
        # Development only: the web server and the worker must share one key (the worker signs the
        # links the web app checks), so it is generated once and kept in instance/, never committed.
        values["SECRET_KEY"] = development_secret_key()

    values["DATABASE_URL"] = normalise_database_url(values["DATABASE_URL"])
    try:
        ZoneInfo(values["CITY_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"CITY_TIMEZONE {values['CITY_TIMEZONE']!r} is not a known time zone") from None
    if values["DEFAULT_LOCALE"] not in SUPPORTED_LOCALES:
        raise ConfigError(f"DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}")
    if values["RETENTION_MONTHS"] < 1:
        raise ConfigError("RETENTION_MONTHS must be at least 1")
    try:
        licence(values["OPENDATA_LICENSE"])
    except ValueError as exc:
        raise ConfigError(str(exc)) from None

    values["MEDIA_ROOT"] = str(Path(values["MEDIA_ROOT"]).resolve())
    _check_media_storage(values)
    flask: dict[str, Any] = {
        **values,
        "ENV_NAME": mode,
        "SQLALCHEMY_DATABASE_URI": values["DATABASE_URL"],
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": values["DEFAULT_LOCALE"],
        "BABEL_DEFAULT_TIMEZONE": values["CITY_TIMEZONE"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 60 * 1024 * 1024,
        "PHOTO_MAX_BYTES": 10 * 1024 * 1024,
        "PHOTO_MAX_PIXELS": 40_000_000,
        "PHOTO_MAX_COUNT": 5,
        "RATELIMIT_STORAGE_URI": values["REDIS_URL"],
        # With Redis down, a resident's report must still be accepted: limits fail open.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_REPORTS": "10 per minute;100 per day",
        "WTF_CSRF_TIME_LIMIT": None,
    }
    flask.update({k: v for k, v in overrides.items() if k not in values})
    return flask

