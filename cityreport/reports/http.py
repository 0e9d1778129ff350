"""What the report form and the JSON API share at the HTTP boundary: one creation rate limit per client
address, and reading a submission from a JSON body or a multipart/urlencoded form."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_babel import gettext as _

from cityreport.errors import ValidationError
from cityreport.extensions import limiter


def report_rate_limit() -> str:
    return current_app.config["RATELIMIT_REPORTS"]


# One budget per client address, shared by the web form and the API.
limit_report_creation = limiter.shared_limit(report_rate_limit, scope="report-create", methods=["POST"])


def request_report_data() -> tuple[dict[str, Any], list[Any]]:
    """The submitted fields and photos, from JSON or from a multipart/urlencoded form."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValidationError(_("The request body must be a JSON object."), status=400,
                                  fields={"body": _("must be a JSON object")})
        photos = body.get("photos") or []
        if not isinstance(photos, list):
            raise ValidationError(fields={"photos": _("must be a list of base64-encoded images")}, status=400)
        data = {k: v for k, v in body.items() if k != "photos"}
    else:
        data = {key: request.form.get(key) for key in request.form}
        photos = request.files.getlist("photos")
    key = request.headers.get("Idempotency-Key")
    if key and not data.get("idempotency_key"):
        data["idempotency_key"] = key
    return data, photos
