"""Tier policy: evaluation period and inactivity termination, used by the scheduled jobs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import PermissionDenied, ValidationFailed
from huiyuan.jobs import tasks
from huiyuan.ledger.tests.factories import member
from huiyuan.members.models import Member
from huiyuan.tiers.models import TierPolicy
from huiyuan.tiers.services import tier_policy_update


def test_update_is_checked_and_audited(owner, cashier):
    with pytest.raises(PermissionDenied):
        tier_policy_update(actor=cashier, evaluation_period="year", inactive_termination_days=365)
    with pytest.raises(ValidationFailed):
        tier_policy_update(actor=owner, evaluation_period="week", inactive_termination_days=365)
    with pytest.raises(ValidationFailed):
        tier_policy_update(actor=owner, evaluation_period="year", inactive_termination_days=5)
    assert TierPolicy.current().evaluation_period == "quarter"
    policy = tier_policy_update(
        actor=owner, evaluation_period="year", inactive_termination_days=None
    )
    assert (policy.evaluation_period, policy.inactive_termination_days) == ("year", None)
    assert AuditEvent.objects.filter(action="tier_policy.updated").count() == 1


@pytest.mark.parametrize(
    "period,months",
    [("month", list(range(1, 13))), ("quarter", [1, 4, 7, 10]), ("year", [1])],
)
def test_period_ends(period, months, db):
    policy = TierPolicy(evaluation_period=period)
    assert [m for m in range(1, 13) if policy.period_ends_before(m)] == months


def test_inactivity_job_follows_the_policy(owner, cashier):
    idle = member(cashier)
    Member.objects.filter(pk=idle.pk).update(
        last_activity_at=timezone.now() - dt.timedelta(days=400)
    )
    tier_policy_update(actor=owner, evaluation_period="quarter", inactive_termination_days=None)
    assert tasks.terminate_inactive_members.call() == {"skipped": "no inactivity limit"}
    assert Member.objects.get(pk=idle.pk).status == "active"
    tier_policy_update(actor=owner, evaluation_period="quarter", inactive_termination_days=365)
    assert tasks.terminate_inactive_members.call() == {"terminated": 1}
    assert Member.objects.get(pk=idle.pk).status == "terminated"
