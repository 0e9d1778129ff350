"""Every template global, filter and context processor, registered in one place.

The functions themselves belong to their packages; this module only makes them visible to templates.
It sits at the top with the app factory, the CLI and the model registry: it imports the packages, and no
package imports it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app, request
from flask_babel import get_locale

from cityreport.core.access import allowed, current_staff
from cityreport.i18n import current_language, date_local, datetime_local, number, percent
from cityreport.media.services import photo_url
from cityreport.open311.display import open311_details
from cityreport.reports.labels import status_label
from cityreport.staff.display import page_helpers
from cityreport.static_files import STATIC_DIR


def fromiso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def leaflet_available() -> bool:
    return (STATIC_DIR / "vendor" / "leaflet" / "leaflet.js").is_file()


def has_endpoint(name: str) -> bool:
    return name in current_app.view_functions


def _staff_pages() -> dict[str, Any]:
    # Labels in the staff's wording and the formatters of the staff pages, for pages under /staff only.
    return page_helpers() if request.path.startswith("/staff") else {}


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        get_locale=get_locale, current_language=current_language,
        status_label=status_label, photo_url=photo_url, open311_details=open311_details,
        can=allowed, current_staff=current_staff, leaflet_available=leaflet_available, has_endpoint=has_endpoint,
    )
    app.jinja_env.filters.update(fromiso=fromiso, datetime_local=datetime_local, date_local=date_local,
                                 number=number, percent=percent)
    app.context_processor(_staff_pages)
