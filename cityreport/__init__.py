"""CityReport: residents report local problems; the city hall routes, fixes and accounts for them."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

from flask import Flask

# Blueprints, one per domain package, registered in this order.
BLUEPRINTS = (
    "cityreport.core.views",
    "cityreport.notifications.views",
    "cityreport.notifications.links",
    "cityreport.notifications.api",
    "cityreport.notifications.admin_views",
    "cityreport.reports.views",
    "cityreport.reports.api",
    "cityreport.api.views",
    "cityreport.routing.views",
    "cityreport.routing.admin_views",
    "cityreport.reports.photos",
    "cityreport.places.views",
    "cityreport.open311.views",
    "cityreport.open311.admin_views",
    "cityreport.opendata.views",
    "cityreport.departments.views",
    "cityreport.staff.views",
    "cityreport.staff.admin",
    "cityreport.indicators.views",
    "cityreport.pwa",
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Reads configuration, binds extensions; opens no connection.

    The imports are here, not at the top: every module of the package imports this file first, and a rule
    or a schema (in a unit test, in the worker's schedule) must not pull in the whole app with it.
    """
    from cityreport import config as config_module  # deferred: the package's __init__ stays light
    from cityreport import errors, i18n, queue  # deferred: the package's __init__ stays light
    from cityreport.extensions import csrf, db, limiter, login, migrate  # deferred: __init__ stays light

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

    import cityreport.models  # noqa: F401  deferred: every model registered before first use, not at import
    from cityreport.staff.signin import init_app as init_auth  # deferred: the package's __init__ stays light

    init_auth(app)
    for dotted in BLUEPRINTS:
        module = import_module(dotted)
        app.register_blueprint(module.bp)
        if getattr(module, "csrf_exempt", False):
            csrf.exempt(module.bp)
    from cityreport.cli import register as register_commands  # deferred: it imports every package
    from cityreport.static_files import init_app as init_static  # deferred: __init__ stays light
    from cityreport.templating import init_app as init_templating  # deferred: it imports every package

    init_static(app)
    init_templating(app)
    register_commands(app)
    return app


def _migrations_dir() -> str:
    return str(Path(__file__).resolve().parent.parent / "migrations")
