"""Links in e-mails: confirm a subscription, unsubscribe (RFC 8058 one-click). The token in the URL is
the credential, and mail clients POST the one-click unsubscribe without a CSRF token, so this
blueprint is exempt from CSRF."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from cityreport.errors import AppError
from cityreport.extensions import db
from cityreport.notifications import services

bp = Blueprint("notifications_links", __name__)
csrf_exempt = True


@bp.route("/follow/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    # GET only shows a button: link scanners in mail systems fetch links, and must not subscribe anyone.
    sub = services.subscription_from_token("confirm", token)
    if request.method == "GET":
        return render_template("notifications/confirm.html", sub=sub, token=token)
    try:
        sub = services.confirm(token)
    except AppError as exc:
        return render_template("notifications/message.html", message=exc.message), exc.status
    db.session.commit()
    return render_template("notifications/confirmed.html", sub=sub,
                           unsubscribe_token=services.unsubscribe_token(sub.id))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    sub = services.subscription_from_token("unsubscribe", token)
    if request.method == "GET":
        return render_template("notifications/unsubscribe.html", sub=sub, token=token)
    services.unsubscribe(token)
    db.session.commit()
    return render_template("notifications/unsubscribed.html", sub=sub)
