"""The authorization matrix and the sign-in throttle as pure rules."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cityreport.core import permissions
from cityreport.core.permissions import ACTIONS, can
from cityreport.staff.rules import ThrottlePolicy, throttle_wait


@dataclass
class User:
    role: str
    department_id: int | None
    is_authenticated: bool = True
    is_active: bool = True


class Anonymous:
    is_authenticated = False
    is_active = False


OWN, OTHER = 1, 2
STAFF = User("staff", OWN)
DEPT_ADMIN = User("dept_admin", OWN)
CITY_ADMIN = User("city_admin", None)

REPORT_ACTIONS = set(permissions.REPORT_ACTIONS)
DEPT_ADMIN_ONLY = {"manage_staff", "manage_templates"}
CITY_ONLY = {"manage_departments", "manage_categories", "manage_areas", "manage_api_keys", "view_outbox",
             "view_all_departments"}


def expected(role: str, action: str, department: int | None) -> bool:
    if role == "anonymous":
        return False
    if role == "city_admin":
        return True
    allowed = REPORT_ACTIONS | (DEPT_ADMIN_ONLY if role == "dept_admin" else set())
    if action not in allowed:
        return False
    return department in (None, OWN)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", ["anonymous", "staff", "dept_admin", "city_admin"])
@pytest.mark.parametrize("department", [None, OWN, OTHER])
def test_matrix(who, action, department):
    user = {"anonymous": Anonymous(), "staff": STAFF, "dept_admin": DEPT_ADMIN, "city_admin": CITY_ADMIN}[who]
    assert can(user, action, department_id=department) is expected(who, action, department)


def test_every_action_is_in_exactly_one_tier():
    assert set(ACTIONS) == REPORT_ACTIONS | DEPT_ADMIN_ONLY | CITY_ONLY
    assert len(ACTIONS) == len(set(ACTIONS))


def test_none_and_inactive_users_may_do_nothing():
    assert not can(None, "view_report")
    assert not can(User("city_admin", None, is_active=False), "view_report")


def test_unknown_action_is_a_programming_error():
    with pytest.raises(permissions.UnknownAction):
        can(CITY_ADMIN, "launch_rockets")


def test_unknown_role_may_do_nothing():
    assert not can(User("mayor", OWN), "view_report")


def test_roles_allowed():
    assert permissions.roles_allowed("manage_api_keys") == ("city_admin",)
    assert permissions.roles_allowed("manage_templates") == ("dept_admin", "city_admin")
    assert permissions.roles_allowed("change_status") == ("staff", "dept_admin", "city_admin")


def test_throttle_allows_below_the_limits():
    policy = ThrottlePolicy(account_limit=5, ip_limit=20, window_seconds=900)
    assert throttle_wait(4, 800, 19, 800, policy) == 0


def test_throttle_waits_for_the_account_window():
    policy = ThrottlePolicy(account_limit=5, ip_limit=20, window_seconds=900)
    assert throttle_wait(5, 600, 0, -2, policy) == 600


def test_throttle_waits_for_the_longer_of_both():
    policy = ThrottlePolicy(account_limit=5, ip_limit=20, window_seconds=900)
    assert throttle_wait(5, 100, 20, 700, policy) == 700


def test_throttle_without_ttl_waits_a_whole_window():
    policy = ThrottlePolicy(account_limit=1, ip_limit=1, window_seconds=900)
    assert throttle_wait(1, -1, 0, 0, policy) == 900
