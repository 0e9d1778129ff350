"""CityReport: residents report local problems; the city hall routes, fixes and accounts for them."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from flask import Flask

# Blueprints, one per domain package, registered in this order.
BLUEPRINTS = (
    "cityreport.core.views",
    "cityreport.notifications.views",
    "cityreport.notifications.links",
    "cityreport.notifications.api",
    "cityreport.reports.views",
    "cityreport.api.views",
    "cityreport.routing.views",
    "cityreport.places.views",
    "cityreport.media.views",
    "cityreport.open311.views",
    "cityreport.open311.admin_views",
    "cityreport.opendata.views",
    "cityreport.staff.views",
    "cityreport.staff.admin",
    "cityreport.indicators.views",
    "cityreport.pwa",
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Reads configuration, binds extensions; opens no connection."""
    from cityreport import config as config_module
    from cityreport import errors, i18n, queue
    from cityreport.extensions import csrf, db, limiter, login, migrate

    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.config.update(config_module.load(overrides=config))

    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir())
    csrf.init_app(app)
    limiter.init_app(app)
    login.init_app(app)
    i18n.init_app(app)
    queue.init_app(app)
    errors.init_app(app)

    import cityreport.models  # noqa: F401  (every model registered before first use)
    from cityreport.staff.auth import init_app as init_auth

    init_auth(app)
    for dotted in BLUEPRINTS:
        module = import_module(dotted)
        app.register_blueprint(module.bp)
        if getattr(module, "csrf_exempt", False):
            csrf.exempt(module.bp)
    from cityreport.static_files import init_app as init_static

    init_static(app)
    from cityreport.cli import register as register_commands

    register_commands(app)
    return app


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")
