"""Running the period-end tier evaluation by hand."""

from __future__ import annotations

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import PermissionDenied
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import member
from huiyuan.tiers.models import MemberTier, TierChange
from huiyuan.tiers.services import tier_create, tier_move, tiers_evaluate_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def ladder(owner):
    base = tier_create(actor=owner, code="normal", name="普通", level=0)
    gold = tier_create(
        actor=owner, code="gold", name="金卡", level=1, threshold=100000, retention=50000
    )
    return base, gold


def test_run_moves_down_members_under_the_bar_and_records_the_run(owner, cashier, ladder):
    base, gold = ladder
    someone = member(cashier)
    tier_move(actor=owner, member_id=someone.pk, tier_id=gold.pk, reason="迁移老会员")
    assert tiers_evaluate_run(actor=owner) == {"downgraded": 1}
    assert MemberTier.objects.get(member=someone).tier == base
    assert TierChange.objects.filter(member=someone, kind="downgrade").count() == 1
    run = AuditEvent.objects.get(action="tier.evaluation_run")
    assert run.after == {"downgraded": 1}
    # Running again changes nothing more.
    assert tiers_evaluate_run(actor=owner) == {"downgraded": 0}
    assert TierChange.objects.filter(member=someone, kind="downgrade").count() == 1


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER])
def test_refused_without_permission(actors, ladder, role):
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        tiers_evaluate_run(actor=actors[role])
    assert AuditEvent.objects.count() == events
