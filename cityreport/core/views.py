"""The health check and the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request

from cityreport.config import SUPPORTED_LOCALES
from cityreport.core import health
from cityreport.i18n import LANG_COOKIE

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    checks = health.checks()
    ok = all(check["ok"] for check in checks.values())
    return jsonify({"status": "ok" if ok else "degraded", "checks": checks}), 200 if ok else 503


@bp.get("/lang/<code>")
def set_language(code: str):
    target = request.args.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = redirect(target)
    if code in SUPPORTED_LOCALES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
