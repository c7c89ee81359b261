"""Points policy changes and one-rule dry runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.points.models import PointsPolicy
from huiyuan.points.rules import EarnContext
from huiyuan.points.services import (
    earn_rule_publish,
    points_dry_run,
    points_dry_run_rule,
    points_policy_update,
)

pytestmark = pytest.mark.django_db


def policy_values() -> dict:
    p = PointsPolicy.current()
    return {
        f: getattr(p, f)
        for f in (
            "points_per_yuan",
            "max_offset_percent",
            "expiry",
            "expiry_days",
            "supplement_days",
        )
    }


def test_update_changes_only_what_differs_and_audits_it(owner):
    assert policy_values() == {
        "points_per_yuan": 100,
        "max_offset_percent": 50,
        "expiry": "year_end",
        "expiry_days": 365,
        "supplement_days": 7,
    }
    points_policy_update(
        actor=owner, points_per_yuan=200, max_offset_percent=50, expiry="days", expiry_days=90
    )
    assert policy_values() == {
        "points_per_yuan": 200,
        "max_offset_percent": 50,
        "expiry": "days",
        "expiry_days": 90,
        "supplement_days": 7,
    }
    event = AuditEvent.objects.get(action="points_policy.updated")
    assert event.before == {"points_per_yuan": 100, "expiry": "year_end", "expiry_days": 365}
    assert event.after == {"points_per_yuan": 200, "expiry": "days", "expiry_days": 90}


def test_no_change_writes_nothing(owner):
    points_policy_update(actor=owner, points_per_yuan=100)
    assert not AuditEvent.objects.filter(action="points_policy.updated").exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"points_per_yuan": 0}, "invalid_points_per_yuan"),
        ({"max_offset_percent": 101}, "invalid_offset_percent"),
        ({"expiry": "weekly"}, "invalid_expiry"),
        ({"expiry": "days", "expiry_days": 0}, "invalid_expiry_days"),
        ({"supplement_days": -1}, "invalid_setting"),
        ({"points_per_yuan": "100"}, "invalid_setting"),
        ({"colour": "red"}, "unknown_setting"),
    ],
)
def test_refusals_change_nothing(owner, changes, code):
    before = policy_values()
    with pytest.raises(ValidationFailed) as refused:
        points_policy_update(actor=owner, **changes)
    assert refused.value.code == code
    assert policy_values() == before
    assert not AuditEvent.objects.filter(action="points_policy.updated").exists()


def test_never_expiring_points_may_have_zero_days(owner):
    points_policy_update(actor=owner, expiry="never", expiry_days=0)
    assert policy_values()["expiry"] == "never"


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER])
def test_policy_needs_permission(actors, role):
    before = policy_values()
    with pytest.raises(PermissionDenied):
        points_policy_update(actor=actors[role], points_per_yuan=1)
    assert policy_values() == before


def test_dry_run_of_one_version_even_before_it_starts(owner):
    now = timezone.now()
    earn_rule_publish(actor=owner, code="base", name="每1元1分", unit_fen=100, points_per_unit=1)
    future = earn_rule_publish(
        actor=owner, code="base", effective_from=now + dt.timedelta(days=10), points_per_unit=3
    )
    later = EarnContext(amount_fen=12345, at=now + dt.timedelta(days=11), store_id=None)
    today = EarnContext(amount_fen=12345, at=now + dt.timedelta(minutes=1), store_id=None)
    assert points_dry_run(actor=owner, context=today).points == 123
    assert points_dry_run(actor=owner, context=later).points == 369
    result = points_dry_run_rule(actor=owner, rule_id=future.pk, context=today)
    assert result.points == 0 and result.steps[-1] == {"code": "no_rule"}
    assert points_dry_run_rule(actor=owner, rule_id=future.pk, context=later).points == 369
    with pytest.raises(NotFound):
        points_dry_run_rule(actor=owner, rule_id=999, context=later)
