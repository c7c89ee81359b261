"""Events are written in the transaction of the change, with ids and amounts only."""

from __future__ import annotations

import pytest
from django.db import transaction

from huiyuan.cards.services import card_reissue
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import QuickSaleInput, sale_quick, sale_reverse
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.events import services
from huiyuan.events.models import OutboxEvent
from huiyuan.events.names import EVENTS, PERSONAL_KEYS
from huiyuan.events.services import event_emit
from huiyuan.ledger.models import Operation
from huiyuan.ledger.tests.factories import card, default_rule, key
from huiyuan.points.services import points_adjust
from huiyuan.tiers import services as tier_services
from huiyuan.tiers.models import Tier
from huiyuan.wallet.services import wallet_recharge, wallet_refund

pytestmark = pytest.mark.django_db


def emitted(*names: str) -> list[tuple[str, dict, int | None, int | None]]:
    events = OutboxEvent.objects.order_by("id")
    if names:
        events = events.filter(name__in=names)
    return [(e.name, e.payload, e.member_id, e.store_id) for e in events]


@pytest.fixture
def tiers(owner) -> tuple[Tier, Tier]:
    normal = tier_services.tier_create(actor=owner, code="normal", name="普通", level=1)
    gold = tier_services.tier_create(
        actor=owner, code="gold", name="金卡", level=2, threshold=10_000
    )
    return normal, gold


@pytest.fixture
def funded(owner, cashier):
    default_rule(owner)
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=20_000, method="wechat", idempotency_key=key()
    )
    return c


@pytest.mark.django_db(transaction=True)
def test_emit_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        event_emit("member.registered", payload={"channel": "store", "referrer_id": None})
    assert OutboxEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("sale.paid", {}, "unknown event name"),
        ("member.registered", {"channel": "store", "referrer_id": None, "mobile": "1"}, "personal"),
        ("member.registered", {"channel": "store", "name": "王小明", "referrer_id": 1}, "personal"),
        ("member.registered", {"channel": "store"}, "keys differ"),
        (
            "member.registered",
            {"channel": "王小明", "referrer_id": None},
            "id, an amount or a code",
        ),
        ("member.registered", {"channel": "13800000000", "referrer_id": None}, "a code"),
        ("member.registered", {"channel": "store", "referrer_id": 1.5}, "a code"),
        ("card.reissued", {"old_card_id": 1, "new_card_id": 2, "moved": {"points": "x"}}, "code"),
    ],
)
def test_emit_refuses_unknown_names_personal_data_and_prose(db, name, payload, message):
    with transaction.atomic(), pytest.raises(ValueError, match=message):
        event_emit(name, payload=payload)
    assert OutboxEvent.objects.count() == 0


def test_no_declared_payload_carries_personal_data():
    for name, spec in EVENTS.items():
        assert not spec.keys & PERSONAL_KEYS, name
        assert {"member_id", "store_id"}.isdisjoint(spec.keys), name  # columns, not payload


def test_every_service_emits_its_event_with_ids_and_amounts(owner, cashier, actors, stores, tiers):
    default_rule(owner)
    normal, gold = tiers
    c = card(cashier, owner)
    member_id, store_id = c.member_id, stores[0].pk
    recharge = wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=20_000, method="wechat", idempotency_key=key()
    )
    sale = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=12_000, card_id=c.pk, balance_fen=12_000),
        idempotency_key=key(),
    )
    adjusted = points_adjust(
        actor=owner, card_id=c.pk, delta=20, reason="补录", idempotency_key=key()
    )
    refund = wallet_refund(
        actor=actors[Role.STORE_MANAGER],
        card_id=c.pk,
        amount_fen=3_000,
        method="cash",
        reason="退卡",
        idempotency_key=key(),
    )
    reversed_sale = sale_reverse(actor=owner, sale_id=sale.pk, reason="录错", idempotency_key=key())

    assert emitted() == [
        ("member.registered", {"channel": "store", "referrer_id": None}, member_id, store_id),
        (
            "card.issued",
            {"card_id": c.pk, "card_type_id": c.card_type_id, "replaces_card_id": None},
            member_id,
            store_id,
        ),
        (
            "wallet.recharged",
            {
                "recharge_id": recharge.pk,
                "card_id": c.pk,
                "operation_id": recharge.operation_id,
                "principal_fen": 20_000,
                "bonus_fen": 0,
                "method": "wechat",
                "package_id": None,
            },
            member_id,
            store_id,
        ),
        (
            "sale.completed",
            {
                "sale_id": sale.pk,
                "card_id": c.pk,
                "operation_id": sale.operation_id,
                "amount_fen": 12_000,
                "discount_fen": 0,
                "payable_fen": 12_000,
                "paid_principal_fen": 12_000,
                "paid_bonus_fen": 0,
                "points_used": 0,
                "points_offset_fen": 0,
                "paid_external_fen": 0,
                "external_method": "",
                "points_earned": 120,
            },
            member_id,
            store_id,
        ),
        # The sale crossed gold's ¥100 threshold: the upgrade commits with it.
        (
            "tier.changed",
            {"from_tier_id": None, "to_tier_id": gold.pk, "kind": "upgrade"},
            member_id,
            store_id,
        ),
        (
            "points.adjusted",
            {"card_id": c.pk, "operation_id": adjusted.pk, "delta": 20},
            member_id,
            None,  # head office adjusts from no store
        ),
        (
            "wallet.refunded",
            {
                "refund_id": refund.pk,
                "card_id": c.pk,
                "operation_id": refund.operation_id,
                "principal_fen": 3_000,
                "bonus_clawback_fen": 0,
                "method": "cash",
            },
            member_id,
            store_id,
        ),
        (
            "sale.reversed",
            {
                "sale_id": sale.pk,
                "card_id": c.pk,
                "operation_id": reversed_sale.reversal_id,
                "payable_fen": 12_000,
                "paid_principal_fen": 12_000,
                "paid_bonus_fen": 0,
                "points_used": 0,
                "points_earned": 120,
            },
            member_id,
            store_id,
        ),
        # The reversal takes back the upgrade that sale had earned.
        (
            "tier.changed",
            {"from_tier_id": gold.pk, "to_tier_id": normal.pk, "kind": "reversal"},
            member_id,
            None,
        ),
    ]
    for _name, payload, _member, _store in emitted():
        assert not set(payload) & PERSONAL_KEYS


def test_a_reissue_emits_the_new_card_then_the_move(owner, cashier, funded):
    new = card_reissue(actor=cashier, card_id=funded.pk, idempotency_key=key(), reason="磨损")
    assert emitted("card.issued", "card.reissued")[-2:] == [
        (
            "card.issued",
            {"card_id": new.pk, "card_type_id": funded.card_type_id, "replaces_card_id": funded.pk},
            funded.member_id,
            funded.store_id,
        ),
        (
            "card.reissued",
            {
                "old_card_id": funded.pk,
                "new_card_id": new.pk,
                "moved": {"principal": 20_000},
            },
            funded.member_id,
            funded.store_id,
        ),
    ]


def test_a_refused_sale_writes_no_event(cashier, funded):
    before = emitted()
    with pytest.raises(DomainError) as refused:
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=30_000, card_id=funded.pk, balance_fen=30_000),
            idempotency_key=key(),
        )
    assert refused.value.code == "insufficient_balance"
    assert emitted() == before
    assert Sale.objects.count() == 0


def test_a_sale_rolled_back_after_its_event_takes_the_event_with_it(
    cashier, funded, tiers, monkeypatch
):
    """The event is in the sale's transaction: a failure after it was written undoes both."""

    def broken(**kwargs):
        assert OutboxEvent.objects.filter(name="sale.completed").count() == 1  # written…
        raise RuntimeError("tier service down")

    monkeypatch.setattr(tier_services, "tier_upgrade_if_due", broken)
    before, operations = emitted(), Operation.objects.count()
    with pytest.raises(RuntimeError, match="tier service down"):
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=5_000, card_id=funded.pk, balance_fen=5_000),
            idempotency_key=key(),
        )
    assert emitted() == before  # …and gone with the sale
    assert (Sale.objects.count(), Operation.objects.count()) == (0, operations)


@pytest.mark.django_db(transaction=True)  # a replay may run its transaction again
def test_a_replayed_sale_emits_once(cashier, funded):
    same = key()
    data = QuickSaleInput(amount_fen=1_000, card_id=funded.pk, balance_fen=1_000)
    first = sale_quick(actor=cashier, data=data, idempotency_key=same)
    again = sale_quick(actor=cashier, data=data, idempotency_key=same)
    assert first.pk == again.pk
    assert [p["sale_id"] for _n, p, _m, _s in emitted("sale.completed")] == [first.pk]


def test_without_subscribers_an_event_is_recorded_delivered_and_nothing_is_enqueued(
    cashier, funded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=1_000, card_id=funded.pk, balance_fen=1_000),
            idempotency_key=key(),
        )
    event = OutboxEvent.objects.get(name="sale.completed")
    assert (event.status, event.next_attempt_at is None, event.dispatched_at is not None) == (
        "done",
        True,
        True,
    )
    assert services._enqueue_dispatch not in callbacks
