"""Recharge packages: withdraw and offer again; refusals change nothing."""

from __future__ import annotations

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import NotFound, PermissionDenied
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card, key
from huiyuan.wallet.models import RechargePackage
from huiyuan.wallet.selectors import recharge_packages
from huiyuan.wallet.services import (
    recharge_package_create,
    recharge_package_set_active,
    wallet_recharge,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def package(owner):
    return recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)


def test_withdrawn_package_is_not_offered_and_cannot_be_used(owner, cashier, package):
    recharge_package_set_active(actor=owner, package_id=package.pk, active=False)
    assert RechargePackage.objects.get(pk=package.pk).is_active is False
    assert recharge_packages() == []
    assert recharge_packages(active_only=False) == [package]
    event = AuditEvent.objects.get(action="recharge_package.deactivated")
    assert (event.before, event.after) == ({"is_active": True}, {"is_active": False})
    c = card(cashier, owner)
    with pytest.raises(NotFound):
        wallet_recharge(
            actor=cashier,
            card_id=c.pk,
            amount_fen=50000,
            method="cash",
            package_id=package.pk,
            idempotency_key=key(),
        )


def test_offer_again_and_repeat_is_a_no_op(owner, package):
    recharge_package_set_active(actor=owner, package_id=package.pk, active=False)
    recharge_package_set_active(actor=owner, package_id=package.pk, active=True)
    recharge_package_set_active(actor=owner, package_id=package.pk, active=True)
    assert RechargePackage.objects.get(pk=package.pk).is_active is True
    actions = list(
        AuditEvent.objects.filter(subject_type="recharge_package")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "recharge_package.created",
        "recharge_package.deactivated",
        "recharge_package.activated",
    ]


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER])
def test_refused_without_permission(actors, package, role):
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        recharge_package_set_active(actor=actors[role], package_id=package.pk, active=False)
    assert RechargePackage.objects.get(pk=package.pk).is_active is True
    assert AuditEvent.objects.count() == events


def test_unknown_package(owner):
    with pytest.raises(NotFound):
        recharge_package_set_active(actor=owner, package_id=999, active=False)
