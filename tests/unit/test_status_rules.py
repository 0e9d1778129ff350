from datetime import UTC, datetime, timedelta

import pytest

from cityreport.reports.rules import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    TransitionError,
    acknowledged_by_note,
    allowed_targets,
    open311_status,
    plan_transition,
)

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
T1 = T0 + timedelta(hours=5)


def test_leaving_new_sets_acknowledged_at():
    plan = plan_transition("new", "acknowledged", T1, None, None)
    assert plan.acknowledged_at == T1 and plan.closed_at is None and not plan.reopened


def test_closing_without_acknowledgement_counts_as_acknowledged_then():
    plan = plan_transition("new", "fixed", T1, None, None)
    assert plan.acknowledged_at == T1
    assert plan.closed_at == T1


def test_acknowledged_at_is_kept_once_set():
    plan = plan_transition("acknowledged", "in_progress", T1, T0, None)
    assert plan.acknowledged_at == T0


@pytest.mark.parametrize("start", OPEN_STATUSES)
@pytest.mark.parametrize("target", OPEN_STATUSES[1:] + CLOSED_STATUSES)
def test_open_statuses_move_anywhere_but_back_to_new(start, target):
    if start == target:
        with pytest.raises(TransitionError):
            plan_transition(start, target, T1, T0, None)
    else:
        assert plan_transition(start, target, T1, T0, None).to_status == target


@pytest.mark.parametrize("start", CLOSED_STATUSES)
def test_closed_reports_only_reopen_to_acknowledged(start):
    plan = plan_transition(start, "acknowledged", T1, T0, T0)
    assert plan.reopened and plan.closed_at is None and plan.acknowledged_at == T0
    for target in ("in_progress", "fixed", "new"):
        if target != start:
            with pytest.raises(TransitionError):
                plan_transition(start, target, T1, T0, T0)


def test_unknown_status_is_refused():
    with pytest.raises(TransitionError, match="unknown"):
        plan_transition("new", "teleported", T1, None, None)


def test_allowed_targets():
    assert allowed_targets("fixed") == ("acknowledged",)
    assert "new" not in allowed_targets("acknowledged")
    assert "acknowledged" not in allowed_targets("acknowledged")


def test_first_public_note_acknowledges():
    assert acknowledged_by_note(None, T1, public=True) == T1
    assert acknowledged_by_note(None, T1, public=False) is None
    assert acknowledged_by_note(T0, T1, public=True) == T0


def test_open311_mapping():
    assert [open311_status(s) for s in OPEN_STATUSES] == ["open"] * 3
    assert {open311_status(s) for s in CLOSED_STATUSES} == {"closed"}
