"""The health check and the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cityreport.config import SUPPORTED_LOCALES
from cityreport.extensions import db
from cityreport.i18n import LANG_COOKIE
from cityreport.queue import get_redis

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    checks: dict[str, dict] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
        version = db.session.execute(text("SELECT postgis_lib_version()")).scalar()
        checks["postgis"] = {"ok": True, "version": version}
    except SQLAlchemyError as exc:
        checks.setdefault("database", {"ok": False, "error": exc.__class__.__name__})
        checks.setdefault("postgis", {"ok": False, "error": exc.__class__.__name__})
    try:
        get_redis().ping()
        checks["redis"] = {"ok": True}
    except RedisError as exc:
        checks["redis"] = {"ok": False, "error": exc.__class__.__name__}
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
