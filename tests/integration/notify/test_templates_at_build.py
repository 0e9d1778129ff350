"""An e-mail template is named by `rules.Template`: a name no template has fails where the row is written,
not later in the sender, where it used to be retried as a temporary failure (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cityreport.core.models import Outbox
from cityreport.core.outbox import add_outbox
from cityreport.extensions import db
from cityreport.notifications import jobs, messages
from cityreport.notifications.emails import add_email
from cityreport.notifications.rules import Template

TEMPLATES = Path(__file__).resolve().parents[3] / "cityreport" / "templates" / "email"


def test_an_unknown_template_fails_when_the_mail_is_written(db_session):
    with pytest.raises(ValueError):
        add_email("report_recieved", "typo:1", report_id=1)
    assert db.session.scalar(select(Outbox.id)) is None


def test_every_template_has_its_context_and_both_parts():
    assert set(messages.CONTEXTS) == set(Template)
    for template in Template:
        assert (TEMPLATES / f"{template}.txt").is_file() and (TEMPLATES / f"{template}.html").is_file(), template


def test_a_stored_row_naming_no_template_fails_for_good_at_once(db_session):
    outbox_id = add_outbox("email", {"template": "no_such_template", "department_id": 1}, "old:1", enqueue=False)
    db.session.commit()
    assert jobs.send_outbox(outbox_id) == "failed"
    row = db.session.get(Outbox, outbox_id)
    db.session.refresh(row)
    assert row.failed_at is not None and row.attempts == 1 and "no_such_template" in row.last_error
