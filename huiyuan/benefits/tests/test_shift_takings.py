"""Benefit-card money in the shift's takings (交接班): a card sold or renewed is a sale, an
upgrade's difference is money received, a refund is money paid out — per payment method,
for the cashier who took it, at the shift's store, during the shift."""

from __future__ import annotations

from huiyuan.benefits import services
from huiyuan.benefits.models import MemberBenefit
from huiyuan.benefits.tests.conftest import at
from huiyuan.checkout.services import BasketSaleInput, ExternalPayment, SaleLineInput, sale_complete
from huiyuan.ledger.tests.factories import card, key
from huiyuan.shifts.services import shift_close, shift_open
from huiyuan.shifts.takings import shift_takings


def _sell_as(actor, card_obj, product_id, method, amount):
    return sale_complete(
        actor=actor,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=product_id, quantity_milli=1000),),
            card_id=card_obj.pk,
            payments=(ExternalPayment(method, amount),),
        ),
        idempotency_key=key(),
    )


def test_sale_upgrade_difference_and_refund_reach_the_takings(
    shop, member_card, clock, manager, cashier, owner
):
    clock(at(2026, 3, 10, 9))
    shift = shift_open(actor=manager, float_fen=20_000, idempotency_key=key())
    other_card = card(cashier, owner)

    clock(at(2026, 3, 10, 10))
    _sell_as(manager, member_card, shop.silver.product_id, "cash", 3000)  # +3000 cash
    _sell_as(manager, other_card, shop.silver.product_id, "wechat", 3000)  # +3000 wechat
    first = MemberBenefit.objects.get(member=member_card.member)
    second = MemberBenefit.objects.get(member=other_card.member)

    # Upgrade on 03-20: 20 of 31 days unused, credit 1935, due 28065 paid by bank card.
    clock(at(2026, 3, 20, 10))
    upgrade = services.benefit_upgrade(
        actor=manager,
        benefit_id=first.pk,
        plan_id=shop.gold.pk,
        method="bank_card",
        idempotency_key=key(),
    )
    assert (upgrade.amount_fen, upgrade.due_fen) == (1935, 28065)
    # Refund on 03-25: 15 of 31 days, gross 1451, fee 145: 1306 paid back in cash.
    clock(at(2026, 3, 25, 10))
    refund = services.benefit_refund(
        actor=manager, benefit_id=second.pk, method="cash", reason="搬家", idempotency_key=key()
    )
    assert refund.amount_fen == 1306

    takings = shift_takings(shift, now=at(2026, 3, 25, 12))
    assert takings.by_source["float"] == {"cash": 20_000}
    assert takings.by_source["sales"] == {"cash": 3000, "wechat": 3000}
    assert takings.by_source["benefit_upgrades"] == {"bank_card": 28065}
    assert takings.by_source["benefit_refunds"] == {"cash": -1306}
    assert (takings.counts["benefit_upgrades"], takings.counts["benefit_refunds"]) == (1, 1)
    expected = {"bank_card": 28065, "cash": 20_000 + 3000 - 1306, "wechat": 3000}
    assert takings.expected == expected

    clock(at(2026, 3, 25, 12))
    closed = shift_close(
        actor=manager,
        shift_id=shift.pk,
        counted={"cash": 21_694, "wechat": 3000, "bank_card": 28065},
        idempotency_key=key(),
    )
    assert closed.expected == expected
    assert closed.cash_difference_fen == 0
    assert closed.breakdown["sources"]["benefit_upgrades"] == {"bank_card": 28065}
    assert closed.breakdown["sources"]["benefit_refunds"] == {"cash": -1306}

    # After closing: refunding the gold card is not counted for the closed shift.
    clock(at(2026, 3, 26, 10))
    late = services.benefit_refund(
        actor=manager,
        benefit_id=upgrade.target_id,
        method="cash",
        reason="不用了",
        idempotency_key=key(),
    )
    assert late.amount_fen > 0
    assert shift_takings(closed).expected == expected


def test_another_cashiers_upgrade_is_not_in_the_shift(shop, member_card, clock, manager, cashier):
    clock(at(2026, 3, 10, 9))
    shift = shift_open(actor=manager, float_fen=0, idempotency_key=key())
    clock(at(2026, 3, 10, 10))
    _sell_as(cashier, member_card, shop.silver.product_id, "cash", 3000)
    benefit = MemberBenefit.objects.get(member=member_card.member)
    clock(at(2026, 3, 20, 10))
    change = services.benefit_upgrade(
        actor=cashier,
        benefit_id=benefit.pk,
        plan_id=shop.gold.pk,
        method="cash",
        idempotency_key=key(),
    )
    assert change.due_fen == 28065
    takings = shift_takings(shift, now=at(2026, 3, 20, 12))
    assert takings.by_source["benefit_upgrades"] == {}
    assert takings.by_source["sales"] == {}
    assert takings.expected == {}
