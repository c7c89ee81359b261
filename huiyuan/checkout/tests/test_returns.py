"""Returns (退货): exactly what the returned part took goes back, to the lots it came from;
a line never comes back beyond its quantity; manager authorisation; spent earned points."""

from __future__ import annotations

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.checkout.models import Sale, SaleLine, SaleReturn
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    QuickSaleInput,
    SaleLineInput,
    sale_complete,
    sale_quick,
    sale_return,
    sale_reverse,
)
from huiyuan.checkout.tests.conftest import snapshot
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.tests.factories import balances, card, default_rule, key, lots
from huiyuan.ledger.verify import verify_ledger
from huiyuan.tiers.models import MemberTier
from huiyuan.tiers.services import tier_create

MANAGER_PASSWORD = "Counter-pass-2026"  # conftest.PASSWORD


def item(product, quantity: int = 1) -> SaleLineInput:
    return SaleLineInput(product_id=product.pk, quantity_milli=quantity * 1000)


@pytest.fixture
def sold(shop, funded, cashier):
    """Two coffees, a tea and a cake: 1,000 points, ¥50 stored value, ¥20 cash + ¥8.40 WeChat."""
    before = (balances(funded), lots(funded))
    sale = sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(item(shop.coffee, 2), item(shop.tea), item(shop.cake)),
            card_id=funded.pk,
            points=1000,
            balance_fen=5000,
            payments=(ExternalPayment("cash", 2000), ExternalPayment("wechat", 840)),
        ),
        idempotency_key=key(),
    )
    lines = list(SaleLine.objects.filter(sale=sale).order_by("position"))
    return sale, lines, before


def test_partial_then_full_return_restores_every_balance_and_lot(sold, funded, actors):
    manager = actors[Role.STORE_MANAGER]
    sale, (coffee, tea, cake), (before_balances, before_lots) = sold
    first = sale_return(
        actor=manager,
        sale_id=sale.pk,
        lines=[(coffee.pk, 1000)],
        reason="顾客退一杯",
        idempotency_key=key(),
    )
    # Half of the coffee line: offset 317 (points 317), principal 1583, external 899, 24 pts.
    assert (first.payable_fen, first.principal_fen, first.bonus_fen, first.external_fen) == (
        2799,
        1583,
        0,
        899,
    )
    assert (first.points_returned, first.points_earned, first.points_taken_back) == (317, 24, 24)
    assert first.refund_payments == [{"method": "cash", "amount_fen": 899}]
    assert balances(funded) == {"principal": 46583, "bonus": 5000, "points": 77 + 317 - 24}
    assert Sale.objects.get(pk=sale.pk).status == "completed"

    second = sale_return(
        actor=manager,
        sale_id=sale.pk,
        lines=[(coffee.pk, 1000), (tea.pk, 1000), (cake.pk, 1000)],
        reason="全部退货",
        idempotency_key=key(),
    )
    assert (second.principal_fen, second.points_returned, second.external_fen) == (3417, 683, 1941)
    assert second.refund_payments == [
        {"method": "cash", "amount_fen": 1101},
        {"method": "wechat", "amount_fen": 840},
    ]
    assert balances(funded) == before_balances
    # The lots the sale took from are back; the lot it opened for the earned points is empty.
    assert lots(funded)[: len(before_lots)] == before_lots
    assert lots(funded)[len(before_lots) :] == [("points", 77, 0)]
    sale.refresh_from_db()
    assert (sale.status, sale.returned_payable_fen, sale.returned_points_earned) == (
        "returned",
        8840,
        77,
    )
    assert OutboxEvent.objects.filter(name="sale.returned").count() == 2
    report = verify_ledger()
    assert report.ok, report.problems


def test_a_line_cannot_come_back_beyond_its_quantity(sold, funded, actors):
    manager = actors[Role.STORE_MANAGER]
    sale, (coffee, _tea, _cake), _ = sold
    sale_return(
        actor=manager, sale_id=sale.pk, lines=[(coffee.pk, 1500)], reason="x", idempotency_key=key()
    )
    before = snapshot(funded)
    with pytest.raises(DomainError) as err:
        sale_return(
            actor=manager,
            sale_id=sale.pk,
            lines=[(coffee.pk, 501)],
            reason="again",
            idempotency_key=key(),
        )
    assert err.value.code == "return_exceeds_sold"
    assert err.value.details["returned_milli"] == 1500
    assert snapshot(funded) == before
    for bad, code in (
        ([(coffee.pk, 0)], "invalid_quantity"),
        ([(999999, 1)], "sale_line_not_found"),
    ):
        with pytest.raises(DomainError) as err:
            sale_return(
                actor=manager, sale_id=sale.pk, lines=bad, reason="x", idempotency_key=key()
            )
        assert err.value.code == code
        assert snapshot(funded) == before


def test_reversal_after_a_partial_return_is_refused(sold, funded, actors):
    manager = actors[Role.STORE_MANAGER]
    sale, (coffee, _tea, _cake), _ = sold
    sale_return(
        actor=manager, sale_id=sale.pk, lines=[(coffee.pk, 1000)], reason="x", idempotency_key=key()
    )
    before = snapshot(funded)
    with pytest.raises(DomainError) as err:
        sale_reverse(actor=manager, sale_id=sale.pk, reason="全退", idempotency_key=key())
    assert err.value.code == "sale_has_returns"
    assert snapshot(funded) == before


def test_a_cashier_returns_with_a_managers_authorisation(sold, funded, cashier, staff):
    sale, (_coffee, tea, _cake), _ = sold
    before = snapshot(funded)
    for auth, code in (
        (None, "authorisation_required"),
        (("manager", "wrong-password"), "authorisation_failed"),
        (("cashier", MANAGER_PASSWORD), "authoriser_not_allowed"),
    ):
        with pytest.raises(DomainError) as err:
            sale_return(
                actor=cashier,
                sale_id=sale.pk,
                lines=[(tea.pk, 1000)],
                reason="质量问题",
                idempotency_key=key(),
                authorised_by=auth,
            )
        assert err.value.code == code
        assert snapshot(funded)[:8] == before[:8]
    done = sale_return(
        actor=cashier,
        sale_id=sale.pk,
        lines=[(tea.pk, 1000)],
        reason="质量问题",
        idempotency_key=key(),
        authorised_by=("manager", MANAGER_PASSWORD),
    )
    assert done.authorised_by == staff[Role.STORE_MANAGER]
    assert done.operator == staff[Role.CASHIER]
    event = AuditEvent.objects.filter(action="sale.returned").get()
    assert event.after["authorised_by"] == "manager"


def test_earned_points_already_spent_reduce_the_refund(shop, owner, cashier, actors):
    """Policy: points that cannot be taken back are charged at the points policy's rate
    (100 points = ¥1), from the cash refund first; never a negative balance."""
    default_rule(owner)
    c = card(cashier, owner)
    sale = sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(item(shop.coffee, 10),), card_id=c.pk, payments=(ExternalPayment("cash", 28000),)
        ),
        idempotency_key=key(),
    )
    assert balances(c)["points"] == 280
    # The member spends 200 of the 280 points elsewhere.
    sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=1000, card_id=c.pk, points=200, external_method="cash"),
        idempotency_key=key(),
    )
    assert balances(c)["points"] == 80 + 8  # 80 left, 8 earned on the ¥8 paid in cash
    line = SaleLine.objects.get(sale=sale)
    done = sale_return(
        actor=actors[Role.STORE_MANAGER],
        sale_id=sale.pk,
        lines=[(line.pk, 10000)],
        reason="整单退",
        idempotency_key=key(),
    )
    # 280 earned: 88 can be taken back, 192 cannot → ¥1.92 kept from the ¥280 cash refund.
    assert (done.points_taken_back, done.points_unrecovered, done.deduction_fen) == (88, 192, 192)
    assert done.external_fen == 28000 - 192
    assert done.refund_payments == [{"method": "cash", "amount_fen": 27808}]
    assert balances(c)["points"] == 0
    assert verify_ledger().ok


def test_a_walk_in_return_hands_back_cash_only(shop, cashier, actors):
    sale = sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(item(shop.tea, 3),), payments=(ExternalPayment("alipay", 3750),)
        ),
        idempotency_key=key(),
    )
    line = SaleLine.objects.get(sale=sale)
    done = sale_return(
        actor=actors[Role.STORE_MANAGER],
        sale_id=sale.pk,
        lines=[(line.pk, 1000)],
        reason="退一瓶",
        idempotency_key=key(),
    )
    assert (done.operation_id, done.external_fen, done.refund_payments) == (
        None,
        1250,
        [{"method": "alipay", "amount_fen": 1250}],
    )


def test_the_same_return_key_returns_once(sold, funded, actors):
    manager = actors[Role.STORE_MANAGER]
    sale, (coffee, _tea, _cake), _ = sold
    k = key()
    first = sale_return(
        actor=manager, sale_id=sale.pk, lines=[(coffee.pk, 2000)], reason="x", idempotency_key=k
    )
    again = sale_return(
        actor=manager, sale_id=sale.pk, lines=[(coffee.pk, 2000)], reason="x", idempotency_key=k
    )
    assert first.pk == again.pk
    assert SaleReturn.objects.count() == 1
    assert SaleLine.objects.get(pk=coffee.pk).returned_milli == 2000


def test_a_return_undoes_the_tier_upgrade_it_no_longer_earns(shop, owner, cashier, actors):
    default_rule(owner)
    tier_create(actor=owner, code="normal", name="普通", level=1)
    tier_create(actor=owner, code="gold", name="金卡", level=2, threshold=5000)
    c = card(cashier, owner)
    sale = sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(item(shop.coffee, 2),), card_id=c.pk, payments=(ExternalPayment("cash", 5600),)
        ),
        idempotency_key=key(),
    )
    assert MemberTier.objects.get(member_id=c.member_id).tier.code == "gold"
    line = SaleLine.objects.get(sale=sale)
    sale_return(
        actor=actors[Role.STORE_MANAGER],
        sale_id=sale.pk,
        lines=[(line.pk, 1000)],
        reason="退一杯",
        idempotency_key=key(),
    )
    # ¥28 still counts: below gold's ¥50.
    assert MemberTier.objects.get(member_id=c.member_id).tier.code == "normal"


def test_a_quick_sale_can_be_returned_by_its_one_line(funded, cashier, actors):
    before = balances(funded)
    sale = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=10000, card_id=funded.pk, balance_fen=10000),
        idempotency_key=key(),
    )
    line = SaleLine.objects.get(sale=sale)
    assert (line.product_id, line.category_path, line.list_fen) == (None, [], 10000)
    sale_return(
        actor=actors[Role.STORE_MANAGER],
        sale_id=sale.pk,
        lines=[(line.pk, 1000)],
        reason="退",
        idempotency_key=key(),
    )
    assert balances(funded) == before
