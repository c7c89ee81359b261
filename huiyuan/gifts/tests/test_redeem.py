"""Redeeming a gift at the counter: points and stock in one transaction, or nothing."""

from __future__ import annotations

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import services as card_services
from huiyuan.core.errors import DomainError
from huiyuan.events.models import OutboxEvent
from huiyuan.gifts import services
from huiyuan.gifts.models import Gift, GiftMovement, Redemption
from huiyuan.ledger.models import Lot
from huiyuan.ledger.tests.factories import balances, key, lots
from huiyuan.ledger.verify import verify_ledger
from huiyuan.members import services as member_services

pytestmark = pytest.mark.django_db


def state(card, gift) -> tuple[dict[str, int], int, int, int, int]:
    gift.refresh_from_db()
    return (
        balances(card),
        gift.stock,
        Redemption.objects.count(),
        GiftMovement.objects.filter(gift=gift).count(),
        OutboxEvent.objects.filter(name="gift.redeemed").count(),
    )


def test_redeem_takes_points_and_stock_in_one_go(cashier, card_with_points, make_gift):
    c = card_with_points(1000)
    gift = make_gift(points=300, stock=10)
    r = services.gift_redeem(
        actor=cashier, card_id=c.pk, gift_id=gift.pk, quantity=2, idempotency_key=key()
    )
    assert (r.points, r.quantity, r.status) == (600, 2, Redemption.Status.REDEEMED)
    assert balances(c)["points"] == 400
    gift.refresh_from_db()
    assert gift.stock == 8
    moves = list(
        GiftMovement.objects.filter(gift=gift)
        .order_by("id")
        .values_list("kind", "delta", "stock_after")
    )
    assert moves == [("create", 10, 10), ("redeem", -2, 8)]
    assert AuditEvent.objects.filter(action="gift.redeemed", subject_id=str(r.pk)).count() == 1
    event = OutboxEvent.objects.get(name="gift.redeemed")
    assert event.payload["points"] == 600 and event.payload["redemption_id"] == r.pk
    assert verify_ledger().ok


def test_replay_with_the_same_key_returns_the_first_redemption(
    cashier, card_with_points, make_gift
):
    c = card_with_points(1000)
    gift = make_gift(points=300, stock=10)
    k = key()
    first = services.gift_redeem(actor=cashier, card_id=c.pk, gift_id=gift.pk, idempotency_key=k)
    again = services.gift_redeem(actor=cashier, card_id=c.pk, gift_id=gift.pk, idempotency_key=k)
    assert again.pk == first.pk
    assert balances(c)["points"] == 700
    gift.refresh_from_db()
    assert gift.stock == 9
    with pytest.raises(DomainError) as exc:
        services.gift_redeem(
            actor=cashier, card_id=c.pk, gift_id=gift.pk, quantity=2, idempotency_key=k
        )
    assert exc.value.code == "idempotency_key_reused"


@pytest.mark.parametrize("case", ["points", "delisted", "frozen", "lost", "stock", "cash"])
def test_a_refused_redemption_changes_nothing(case, cashier, owner, card_with_points, make_gift):
    c = card_with_points(1000)
    gift = make_gift(points=300, stock=1, cash_fen=500 if case == "cash" else 0)
    quantity = 1
    expected = {
        "points": "insufficient_points",
        "delisted": "gift_delisted",
        "frozen": "member_spend_frozen",
        "lost": "card_lost",
        "stock": "gift_out_of_stock",
        "cash": "cash_method_required",
    }[case]
    if case == "points":
        quantity = 1
        gift = make_gift(points=1001, stock=5)
    elif case == "delisted":
        services.gift_set_status(actor=owner, gift_id=gift.pk, status=Gift.Status.DELISTED)
    elif case == "frozen":
        member_services.member_freeze(
            actor=owner, member_id=c.member_id, earning=False, spending=True, reason="争议"
        )
    elif case == "lost":
        card_services.card_report_lost(actor=cashier, card_id=c.pk, reason="丢失")
    elif case == "stock":
        quantity = 2
    before = state(c, gift)
    lots_before = lots(c)
    with pytest.raises(DomainError) as exc:
        services.gift_redeem(
            actor=cashier, card_id=c.pk, gift_id=gift.pk, quantity=quantity, idempotency_key=key()
        )
    assert exc.value.code == expected
    assert state(c, gift) == before
    assert lots(c) == lots_before
    assert balances(c)["points"] == 1000
    assert verify_ledger().ok


def test_cash_top_up_is_recorded_with_its_method(cashier, card_with_points, make_gift):
    c = card_with_points(1000)
    gift = make_gift(points=100, stock=3, cash_fen=990)
    r = services.gift_redeem(
        actor=cashier,
        card_id=c.pk,
        gift_id=gift.pk,
        quantity=2,
        cash_method="wechat",
        idempotency_key=key(),
    )
    assert (r.points, r.cash_fen, r.cash_method) == (200, 1980, "wechat")
    assert balances(c)["points"] == 800


def test_cancel_returns_points_to_their_lots_and_the_stock(
    cashier, owner, card_with_points, make_gift
):
    c = card_with_points(200)
    from huiyuan.points.services import points_adjust

    points_adjust(actor=owner, card_id=c.pk, delta=300, reason="活动", idempotency_key=key())
    gift = make_gift(points=400, stock=5)
    r = services.gift_redeem(actor=cashier, card_id=c.pk, gift_id=gift.pk, idempotency_key=key())
    assert balances(c)["points"] == 100
    remaining = sorted(Lot.objects.filter(account__card_id=c.pk).values_list("amount", "remaining"))
    assert remaining == [(200, 0), (300, 100)]
    cancelled = services.redemption_cancel(
        actor=cashier, redemption_id=r.pk, reason="顾客不要了", idempotency_key=key()
    )
    assert cancelled.status == Redemption.Status.CANCELLED
    assert balances(c)["points"] == 500
    remaining = sorted(Lot.objects.filter(account__card_id=c.pk).values_list("amount", "remaining"))
    assert remaining == [(200, 200), (300, 300)]
    gift.refresh_from_db()
    assert gift.stock == 5
    assert (
        GiftMovement.objects.filter(gift=gift, kind="cancel", delta=1, stock_after=5).count() == 1
    )
    with pytest.raises(DomainError) as exc:
        services.redemption_cancel(
            actor=cashier, redemption_id=r.pk, reason="再来", idempotency_key=key()
        )
    assert exc.value.code == "already_cancelled"
    assert balances(c)["points"] == 500
    assert verify_ledger().ok


def test_pick_up_then_no_second_pick_up_after_cancel(cashier, card_with_points, make_gift):
    c = card_with_points(1000)
    gift = make_gift()
    r = services.gift_redeem(actor=cashier, card_id=c.pk, gift_id=gift.pk, idempotency_key=key())
    picked = services.redemption_pick_up(actor=cashier, redemption_id=r.pk)
    assert picked.status == Redemption.Status.PICKED_UP and picked.picked_up_at is not None
    services.redemption_cancel(
        actor=cashier, redemption_id=r.pk, reason="退货", idempotency_key=key()
    )
    with pytest.raises(DomainError) as exc:
        services.redemption_pick_up(actor=cashier, redemption_id=r.pk)
    assert exc.value.code == "redemption_cancelled"


def test_restock_and_write_off_keep_a_history(owner, make_gift):
    gift = make_gift(stock=3)
    services.gift_restock(
        actor=owner, gift_id=gift.pk, delta=7, reason="采购入库", idempotency_key=key()
    )
    services.gift_restock(
        actor=owner, gift_id=gift.pk, delta=-2, reason="破损", idempotency_key=key()
    )
    with pytest.raises(DomainError) as exc:
        services.gift_restock(
            actor=owner, gift_id=gift.pk, delta=-9, reason="盘亏", idempotency_key=key()
        )
    assert exc.value.code == "gift_out_of_stock"
    gift.refresh_from_db()
    assert gift.stock == 8
    rows = list(
        GiftMovement.objects.filter(gift=gift)
        .order_by("id")
        .values_list("kind", "delta", "stock_after")
    )
    assert rows == [("create", 3, 3), ("restock", 7, 10), ("write_off", -2, 8)]


def test_cashier_cannot_manage_gifts(cashier, make_gift):
    with pytest.raises(DomainError) as exc:
        services.gift_create(
            actor=cashier, data=services.GiftInput(code="X", name="X", points_price=1)
        )
    assert exc.value.code == "permission_denied"
    gift = make_gift()
    with pytest.raises(DomainError):
        services.gift_restock(
            actor=cashier, gift_id=gift.pk, delta=1, reason="x", idempotency_key=key()
        )


def test_duplicate_code_and_bad_price_are_refused(owner, make_gift):
    gift = make_gift()
    with pytest.raises(DomainError) as exc:
        services.gift_create(
            actor=owner, data=services.GiftInput(code=gift.code, name="另一个", points_price=5)
        )
    assert exc.value.code == "duplicate_gift_code"
    with pytest.raises(DomainError) as exc:
        services.gift_create(
            actor=owner, data=services.GiftInput(code="Z1", name="零", points_price=0)
        )
    assert exc.value.code == "invalid_points_price"
