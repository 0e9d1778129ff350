"""Links in e-mails: confirm a subscription, unsubscribe (RFC 8058 one-click). The token in the URL is
the credential, and mail clients POST the one-click unsubscribe without a CSRF token, so this
blueprint is exempt from CSRF."""

from __future__ import annotations

from flask import Blueprint, render_template

from cityreport.core.transaction import commits
from cityreport.errors import AppError, NotFound
from cityreport.notifications import subscriptions

bp = Blueprint("notifications_links", __name__)
csrf_exempt = True


@bp.get("/follow/confirm/<token>")
def confirm(token: str):
    # GET only shows a button: link scanners in mail systems fetch links, and must not subscribe anyone.
    sub = subscriptions.subscription_from_token("confirm", token)
    return render_template("notifications/confirm.html", sub=sub, token=token)


def _refused_confirm(exc: AppError, token: str):
    if isinstance(exc, NotFound):
        raise exc
    return render_template("notifications/message.html", message=exc.message), exc.status


@bp.post("/follow/confirm/<token>")
@commits(refused=_refused_confirm)
def confirm_save(token: str):
    sub = subscriptions.confirm(token)
    return render_template("notifications/confirmed.html", sub=sub,
                           unsubscribe_token=subscriptions.unsubscribe_token(sub.id))


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    sub = subscriptions.subscription_from_token("unsubscribe", token)
    return render_template("notifications/unsubscribe.html", sub=sub, token=token)


@bp.post("/unsubscribe/<token>")
@commits
def unsubscribe_save(token: str):
    sub = subscriptions.unsubscribe(token)
    return render_template("notifications/unsubscribed.html", sub=sub)
