"""The report rules as SQL text, for code that writes raw SQL over the reports table (the open-data
exports, the indicators, the importer, partial indexes). Generated from reports/rules.py, so a status
set or the visibility condition is never typed out by hand in another package.

The names are safe to put into SQL text: they are this module's constants, never user input.
"""

from __future__ import annotations

from collections.abc import Iterable

from cityreport.reports.rules import CLOSED_STATUSES, INVALID, OPEN_STATUSES


def literal(status: str) -> str:
    """A status as an SQL string literal: 'fixed'."""
    if not status.replace("_", "").isalpha():
        raise ValueError(f"not a status name: {status!r}")
    return f"'{status}'"


def literal_list(statuses: Iterable[str]) -> str:
    """Statuses as an SQL list: ('new', 'acknowledged', 'in_progress')."""
    return "(" + ", ".join(literal(s) for s in statuses) + ")"


def column(alias: str | None, name: str) -> str:
    return f"{alias}.{name}" if alias else name


def is_open(alias: str | None = None) -> str:
    """The report is open. With no alias this is, word for word, the predicate of the queue's partial
    indexes, so the planner can prove they apply."""
    return f"{column(alias, 'status')} IN {literal_list(OPEN_STATUSES)}"


def is_closed(alias: str | None = None) -> str:
    return f"{column(alias, 'status')} IN {literal_list(CLOSED_STATUSES)}"


def status_is(status: str, alias: str | None = None) -> str:
    return f"{column(alias, 'status')} = {literal(status)}"


def counts_as_reported(alias: str | None = None) -> str:
    """Not closed as invalid: spam and non-problems are left out of every count of reports."""
    return f"{column(alias, 'status')} <> {literal(INVALID)}"


def publicly_visible(alias: str | None = None) -> str:
    """The public may see the report (see rules.is_publicly_visible)."""
    return f"NOT {column(alias, 'hidden')}"


OPEN = is_open()
