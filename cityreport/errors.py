"""A small exception hierarchy and one handler: JSON for the APIs, HTML for pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None,
                 status: int | None = None, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message or self.code)
        self.message = message or self.default_message()
        self.fields = fields or {}
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.headers = headers or {}

    def default_message(self) -> str:
        return _("The request could not be processed.")

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": {"code": self.code, "message": self.message}}
        if self.fields:
            body["error"]["fields"] = self.fields
        return body


class ValidationError(AppError):
    """Input that names its bad fields; 422 for well-formed but unacceptable, 400 for malformed."""

    status = 422
    code = "invalid"

    def default_message(self) -> str:
        return _("Some fields are not valid.")


class NotFound(AppError):
    status = 404
    code = "not_found"

    def default_message(self) -> str:
        return _("Not found.")


class Forbidden(AppError):
    status = 403
    code = "forbidden"

    def default_message(self) -> str:
        return _("You may not do this.")


class Conflict(AppError):
    status = 409
    code = "conflict"

    def default_message(self) -> str:
        return _("The report was changed meanwhile. Reload it and try again.")


API_PREFIXES = ("/api/", "/open311/", "/opendata/", "/healthz")


def wants_json() -> bool:
    if request.path.startswith(API_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _respond(status: int, code: str, message: str, fields: dict[str, str] | None = None,
             headers: dict[str, str] | None = None) -> Response:
    if wants_json():
        body: dict[str, Any] = {"error": {"code": code, "message": message}}
        if fields:
            body["error"]["fields"] = fields
        response = jsonify(body)
    else:
        response = Response(render_template("error.html", status=status, message=message, fields=fields or {}),
                            mimetype="text/html")
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


HTTP_MESSAGES = {
    400: lambda: _("The request is malformed."),
    401: lambda: _("Please sign in."),
    403: lambda: _("You may not do this."),
    404: lambda: _("Not found."),
    405: lambda: _("This method is not allowed here."),
    413: lambda: _("The upload is too large."),
    429: lambda: _("Too many requests. Please wait a little and try again."),
    500: lambda: _("Something went wrong on our side. Please try again later."),
}


def init_app(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(exc: AppError) -> Response:
        return _respond(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = HTTP_MESSAGES.get(status, lambda: exc.description or "")()
        headers = {k: v for k, v in exc.get_headers() if k.lower() in {"retry-after", "allow", "www-authenticate"}}
        if status == 429 and "Retry-After" not in headers:
            headers["Retry-After"] = "60"
        return _respond(status, exc.name.lower().replace(" ", "_"), message, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error")
        return _respond(500, "internal_error", HTTP_MESSAGES[500]())
