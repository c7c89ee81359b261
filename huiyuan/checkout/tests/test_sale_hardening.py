"""Issue 6 defects on the sale path, each with the exact balances it must leave."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huiyuan.cards import services as card_services
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import (
    QuickSaleInput,
    sale_quick,
    sale_reverse,
    sale_supplement_points,
)
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.ledger.errors import IdempotencyConflict
from huiyuan.ledger.models import Account, IdempotencyKey, Lot
from huiyuan.ledger.tests.factories import balances, card, default_rule, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.points.services import lots_expire_due, points_adjust, points_revoke
from huiyuan.stores.models import Staff
from huiyuan.tiers.models import MemberTier
from huiyuan.tiers.services import tier_create, tier_move
from huiyuan.wallet.services import recharge_package_create, wallet_recharge, wallet_refund


def cash_sale(actor, card_id, amount=10000, **extra):
    return sale_quick(
        actor=actor,
        data=QuickSaleInput(amount_fen=amount, card_id=card_id, external_method="cash", **extra),
        idempotency_key=key(),
    )


def test_reversal_after_the_earned_lot_expired_takes_nothing_twice(owner, cashier, actors):
    """§7: expiry already took the earned points; the reversal must not take them again."""
    default_rule(owner)
    c = card(cashier, owner)
    points_adjust(actor=owner, card_id=c.pk, delta=300, reason="开卡礼", idempotency_key=key())
    sale = cash_sale(cashier, c.pk)  # earns 100 points
    assert balances(c)["points"] == 400
    # The earned lot expires (the grant's lot does too, both swept).
    Lot.objects.filter(account__card_id=c.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    points_adjust(actor=owner, card_id=c.pk, delta=50, reason="补偿", idempotency_key=key())
    assert lots_expire_due(actor=owner) == 2
    assert balances(c)["points"] == 50
    sale_reverse(
        actor=actors[Role.STORE_MANAGER], sale_id=sale.pk, reason="退货", idempotency_key=key()
    )
    # Nothing more leaves the member: the 50 points granted later are still there.
    assert balances(c)["points"] == 50
    # The expired 100 go back from the expiry account to the store that issued them.
    expired = Account.objects.get(kind=Account.Kind.POINTS_EXPIRED, store_id__isnull=True)
    assert sum(e.delta for e in expired.entries.all()) == 300  # 300 + 100 expired, 100 back
    report = verify_ledger()
    assert report.ok, report.problems


def test_revoking_a_partly_spent_grant_is_refused_and_changes_nothing(owner, cashier):
    """§10: the docstring says refused when spent; the code now agrees."""
    c = card(cashier, owner)
    grant = points_adjust(
        actor=owner, card_id=c.pk, delta=500, reason="活动", idempotency_key=key()
    )
    points_adjust(actor=owner, card_id=c.pk, delta=200, reason="补偿", idempotency_key=key())
    points_adjust(actor=owner, card_id=c.pk, delta=-100, reason="兑换", idempotency_key=key())
    before = balances(c), [(lot.amount, lot.remaining) for lot in Lot.objects.order_by("pk")]
    with pytest.raises(DomainError) as err:
        points_revoke(actor=owner, operation_id=grant.pk, reason="撤销", idempotency_key=key())
    assert err.value.code == "points_already_used"
    assert (balances(c), [(lot.amount, lot.remaining) for lot in Lot.objects.order_by("pk")]) == (
        before
    )


def test_reversal_undoes_the_tier_upgrade_the_sale_earned(owner, cashier, actors):
    """§5: the next sale after the reversal gets no gold discount."""
    default_rule(owner)
    tier_create(actor=owner, code="normal", name="普通", level=1)
    tier_create(
        actor=owner, code="gold", name="金卡", level=2, threshold=10000, discount_permille=900
    )
    c = card(cashier, owner)
    sale = cash_sale(cashier, c.pk, amount=10000)
    assert MemberTier.objects.get(member_id=c.member_id).tier.code == "gold"
    sale_reverse(
        actor=actors[Role.STORE_MANAGER], sale_id=sale.pk, reason="退货", idempotency_key=key()
    )
    assert MemberTier.objects.get(member_id=c.member_id).tier.code == "normal"
    after = cash_sale(cashier, c.pk, amount=5000)
    assert (after.tier_code, after.discount_fen) == ("normal", 0)


def test_reversal_keeps_a_manual_tier(owner, cashier, actors):
    default_rule(owner)
    tier_create(actor=owner, code="normal", name="普通", level=1)
    gold = tier_create(actor=owner, code="gold", name="金卡", level=2, threshold=10000)
    c = card(cashier, owner)
    sale = cash_sale(cashier, c.pk, amount=2000)
    tier_move(
        actor=owner,
        member_id=c.member_id,
        tier_id=gold.pk,
        reason="VIP",
        protected_until=dt.date(2099, 1, 1),
    )
    sale_reverse(
        actor=actors[Role.STORE_MANAGER], sale_id=sale.pk, reason="退货", idempotency_key=key()
    )
    assert MemberTier.objects.get(member_id=c.member_id).tier.code == "gold"


def test_reversal_onto_a_cancelled_card_can_be_refunded(owner, cashier, actors):
    """§3: the value given back is never stranded on a cancelled card."""
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=3000, method="cash", idempotency_key=key()
    )
    sale = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=3000, card_id=c.pk, balance_fen=3000),
        idempotency_key=key(),
    )
    card_services.card_cancel(actor=owner, card_id=c.pk, reason="注销")
    sale_reverse(
        actor=actors[Role.STORE_MANAGER], sale_id=sale.pk, reason="退货", idempotency_key=key()
    )
    assert balances(c)["principal"] == 3000
    refund = wallet_refund(
        actor=actors[Role.STORE_MANAGER],
        card_id=c.pk,
        amount_fen=3000,
        method="cash",
        reason="注销退款",
        idempotency_key=key(),
    )
    assert refund.principal_fen == 3000
    assert balances(c)["principal"] == 0
    assert verify_ledger().ok


def test_replaying_a_walk_in_sale_after_its_supplementary_points(owner, cashier):
    """§12: the replay returns the same sale (it was a 500)."""
    default_rule(owner)
    c = card(cashier, owner)
    data = QuickSaleInput(amount_fen=8800, external_method="cash")
    walk_in = sale_quick(actor=cashier, data=data, idempotency_key="walk-in-1")
    sale_supplement_points(
        actor=cashier, sale_number=walk_in.number, card_id=c.pk, idempotency_key=key()
    )
    again = sale_quick(actor=cashier, data=data, idempotency_key="walk-in-1")
    assert again.pk == walk_in.pk and again.card_id == c.pk
    assert Sale.objects.count() == 1
    assert balances(c)["points"] == 88


def test_the_same_key_at_another_store_is_refused(owner, cashier, stores):
    """§13: the hash covers the store, so store B does not replay store A's sale."""
    c = card(cashier, owner)
    data = QuickSaleInput(amount_fen=1000, card_id=c.pk, external_method="cash")
    staff = Staff.objects.get(username="owner")
    at_a = staff.as_actor(store_id=stores[0].pk)
    at_b = staff.as_actor(store_id=stores[1].pk)
    first = sale_quick(actor=at_a, data=data, idempotency_key="pos-key-1")
    assert sale_quick(actor=at_a, data=data, idempotency_key="pos-key-1").pk == first.pk
    with pytest.raises(IdempotencyConflict) as err:
        sale_quick(actor=at_b, data=data, idempotency_key="pos-key-1")
    assert err.value.code == "idempotency_key_reused"
    assert Sale.objects.count() == 1


def test_idempotency_keys_are_purged_after_the_retention(owner, cashier, settings):
    from huiyuan.ledger.commands import idempotency_keys_purge

    settings.IDEMPOTENCY_RETENTION_DAYS = 30
    c = card(cashier, owner)
    cash_sale(cashier, c.pk)
    cash_sale(cashier, c.pk)
    IdempotencyKey.objects.filter(pk=IdempotencyKey.objects.order_by("pk").first().pk).update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    assert idempotency_keys_purge() == 1
    assert IdempotencyKey.objects.count() == 1


def test_a_quick_sale_with_a_card_takes_at_most_24_statements(
    owner, cashier, django_capture_on_commit_callbacks
):
    """Everything a sale needs, read once and written in one statement per table: 20 for the
    money core, and one look-up each for the member's benefit card, the payment-PIN policy,
    today's double-points days and the running spend-and-get activities (the participants
    in huiyuan/checkout/hooks.py)."""
    default_rule(owner)
    tier_create(actor=owner, code="normal", name="普通", level=1)
    tier_create(actor=owner, code="gold", name="金卡", level=2, threshold=10_000_000)
    package = recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier,
        card_id=c.pk,
        amount_fen=50000,
        method="cash",
        package_id=package.pk,
        idempotency_key=key(),
    )
    points_adjust(actor=owner, card_id=c.pk, delta=1000, reason="开卡礼", idempotency_key=key())
    with django_capture_on_commit_callbacks(execute=True):
        cash_sale(cashier, c.pk)  # as after the first sale of the day: store rows remembered
    data = QuickSaleInput(
        amount_fen=12000, card_id=c.pk, balance_fen=10000, points=200, external_method="cash"
    )
    with CaptureQueriesContext(connection) as queries:
        sale = sale_quick(actor=cashier, data=data, idempotency_key=key())
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"]
        .upper()
        .startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))
    ]
    assert sale.paid_principal_fen + sale.paid_bonus_fen == 10000
    assert len(statements) <= 24, "\n".join(statements)


def test_a_reversal_takes_back_earned_points_from_lots_it_restored_itself(owner, cashier, actors):
    """The points a sale used come back first; its earned points, already spent, are then
    taken back from those same restored lots (found by the state machine)."""
    default_rule(owner)
    c = card(cashier, owner)
    for delta in (53, 7, 81, 5):
        points_adjust(actor=owner, card_id=c.pk, delta=delta, reason="活动", idempotency_key=key())
    sale_a = cash_sale(cashier, c.pk, amount=2205, points=146)  # earns 20
    assert sale_a.points_earned == 20
    cash_sale(cashier, c.pk, amount=133, points=20)  # spends those 20 (earns 1)
    points_adjust(actor=owner, card_id=c.pk, delta=1, reason="活动", idempotency_key=key())
    before = balances(c)["points"]
    sale_reverse(
        actor=actors[Role.STORE_MANAGER], sale_id=sale_a.pk, reason="退货", idempotency_key=key()
    )
    assert balances(c)["points"] == before + 146 - 20
    report = verify_ledger()
    assert report.ok, report.problems
