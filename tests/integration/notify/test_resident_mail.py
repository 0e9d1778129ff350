"""E-mail to residents through the outbox, with a real SMTP server on loopback."""

from __future__ import annotations

from sqlalchemy import select

from cityreport.extensions import db
from cityreport.notifications import jobs
from cityreport.notifications.models import Outbox


def drain() -> list[str]:
    """Send every owed outbox row in this process, as the worker would, until nothing is left."""
    results = []
    for _ in range(10):
        ids = db.session.scalars(select(Outbox.id).where(Outbox.sent_at.is_(None), Outbox.failed_at.is_(None))
                                 .order_by(Outbox.id)).all()
        if not ids:
            break
        results += [jobs.send_outbox(i) for i in ids]
    return results


def test_reporter_gets_receipt_in_their_language_with_text_and_html(db_session, create_report, smtp):
    report = create_report(email="Ana@Example.org", locale="en")
    db.session.commit()
    drain()
    [message] = smtp.inbox.to("ana@example.org")
    assert message["Subject"] == f"Report #{report.id} received"
    assert message.get_body(("plain",)).get_content().count(f"http://cityreport.test/reports/{report.id}") == 1
    assert "<html" in message.get_body(("html",)).get_content()
    assert str(message["List-Unsubscribe"]).strip().startswith("<http://cityreport.test/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_reporter_without_email_gets_nothing_and_nothing_fails(db_session, create_report, smtp):
    create_report(email=None)
    db.session.commit()
    results = drain()
    assert results and all(r.startswith("fanned out 0") for r in results)
    assert smtp.inbox.messages == []
    assert db.session.scalar(select(Outbox.id).where(Outbox.failed_at.is_not(None))) is None
