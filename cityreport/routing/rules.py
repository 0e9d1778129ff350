"""Choosing the department for a report (docs/architecture.md, "Routing a report") from candidate rows, without
the database."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AreaCandidate:
    """A service area that covers the point and serves the category (or all categories)."""

    area_id: int
    department_id: int
    category_specific: bool
    priority: int
    area_m2: float


@dataclass(frozen=True)
class RouteDecision:
    department_id: int
    area_id: int | None
    reason: str  # "area", "category_default" or "fallback"


def choose_area(candidates: list[AreaCandidate]) -> AreaCandidate | None:
    """Category-specific beats all-categories, then higher priority, then the smaller area."""
    if not candidates:
        return None
    return min(candidates, key=lambda c: (not c.category_specific, -c.priority, c.area_m2, c.area_id))


def decide(candidates: list[AreaCandidate], category_default_department_id: int | None,
           fallback_department_id: int | None) -> RouteDecision:
    best = choose_area(candidates)
    if best is not None:
        return RouteDecision(best.department_id, best.area_id, "area")
    if category_default_department_id is not None:
        return RouteDecision(category_default_department_id, None, "category_default")
    if fallback_department_id is None:
        raise LookupError("no service area, category default or fallback department covers this report")
    return RouteDecision(fallback_department_id, None, "fallback")
