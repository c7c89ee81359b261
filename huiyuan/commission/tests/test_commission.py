"""Commission: credited per line to the associate, taken back exactly on return."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiyuan.checkout.models import SaleLine
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    SaleLineInput,
    sale_complete,
    sale_return,
    sale_reverse,
)
from huiyuan.commission import rules as calc
from huiyuan.commission.models import CommissionEntry
from huiyuan.commission.selectors import commission_report
from huiyuan.commission.services import commission_rule_set
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import key
from huiyuan.wallet.services import wallet_recharge


def _rules(owner):
    commission_rule_set(
        actor=owner,
        kind="category",
        category_code="drinks",
        method="percent",
        rate_bp=333,
        idempotency_key=key(),
    )
    commission_rule_set(
        actor=owner,
        kind="category",
        category_code="petrol",
        method="fixed",
        fixed_fen=7,
        idempotency_key=key(),
    )
    commission_rule_set(
        actor=owner, kind="recharge", method="percent", rate_bp=100, idempotency_key=key()
    )


def _sell(actor, associate, *lines, pay):
    return sale_complete(
        actor=actor,
        data=BasketSaleInput(
            lines=tuple(SaleLineInput(product_id=p.pk, quantity_milli=q) for p, q in lines),
            payments=(ExternalPayment("cash", pay),),
            associate_id=associate.pk,
        ),
        idempotency_key=key(),
    )


def _total(staff_id):
    return sum(
        CommissionEntry.objects.filter(staff_id=staff_id).values_list("amount_fen", flat=True)
    )


def test_a_sale_credits_the_associate_per_line_by_the_most_specific_rule(
    shop, owner, cashier, staff
):
    _rules(owner)
    associate = staff[Role.STORE_MANAGER]
    sale = _sell(
        cashier,
        associate,
        (shop.coffee, 3000),
        (shop.petrol, 10500),
        (shop.cake, 1000),
        pay=8400 + 8285 + 1990,
    )
    entries = {
        e.sale_line_id: e.amount_fen for e in CommissionEntry.objects.filter(sale_id=sale.pk)
    }
    lines = {line.sku: line for line in SaleLine.objects.filter(sale=sale)}
    # 8400 × 3.33% = 279.72 → 280; 10.5 litres × 7 fen = 73.5 → 74; cake: no rule.
    assert entries == {lines["A001"].pk: 280, lines["FUEL-92"].pk: 74}
    assert all(e.staff_id == associate.pk for e in CommissionEntry.objects.all())


def test_a_role_rule_beats_the_rule_for_every_role(shop, owner, cashier, staff):
    _rules(owner)
    commission_rule_set(
        actor=owner,
        kind="category",
        category_code="drinks",
        role="cashier",
        method="fixed",
        fixed_fen=100,
        idempotency_key=key(),
    )
    _sell(cashier, staff[Role.CASHIER], (shop.coffee, 2000), pay=5600)
    _sell(cashier, staff[Role.STORE_MANAGER], (shop.coffee, 2000), pay=5600)
    assert _total(staff[Role.CASHIER].pk) == 200
    assert _total(staff[Role.STORE_MANAGER].pk) == 186  # 5600 × 3.33% = 186.48


def test_no_associate_no_commission(shop, owner, cashier):
    _rules(owner)
    sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=shop.coffee.pk, quantity_milli=1000),),
            payments=(ExternalPayment("cash", 2800),),
        ),
        idempotency_key=key(),
    )
    assert CommissionEntry.objects.count() == 0


def test_a_reversal_takes_back_everything(shop, owner, cashier, staff, actors):
    _rules(owner)
    associate = staff[Role.CASHIER]
    sale = _sell(cashier, associate, (shop.coffee, 3000), (shop.petrol, 10500), pay=8400 + 8285)
    assert _total(associate.pk) == 354
    sale_reverse(
        actor=actors[Role.STORE_MANAGER], sale_id=sale.pk, reason="错", idempotency_key=key()
    )
    assert _total(associate.pk) == 0
    assert CommissionEntry.objects.filter(source="reversal").count() == 2


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(pieces=st.lists(st.integers(min_value=1, max_value=10_500), min_size=1, max_size=6))
def test_returns_in_pieces_take_back_exactly_the_returned_share(
    shop, owner, cashier, staff, actors, pieces
):
    """Any split of a line's returns: after each, the credit left is
    ``credit − credit × returned // quantity``; a full return leaves exactly 0."""
    from huiyuan.commission.models import CommissionRule

    if not CommissionRule.objects.exists():
        _rules(owner)
    associate = staff[Role.CASHIER]
    sale = _sell(cashier, associate, (shop.petrol, 10500), (shop.coffee, 3000), pay=8285 + 8400)
    lines = {line.sku: line for line in SaleLine.objects.filter(sale=sale)}
    credit = {e.sale_line_id: e.amount_fen for e in CommissionEntry.objects.filter(sale_id=sale.pk)}
    manager = actors[Role.STORE_MANAGER]
    returned = 0
    for piece in pieces:
        q = min(piece, 10500 - returned)
        if q <= 0:
            break
        sale_return(
            actor=manager,
            sale_id=sale.pk,
            lines=[(lines["FUEL-92"].pk, q)],
            reason="退",
            idempotency_key=key(),
        )
        returned += q
        left = sum(
            CommissionEntry.objects.filter(
                sale_id=sale.pk, sale_line_id=lines["FUEL-92"].pk
            ).values_list("amount_fen", flat=True)
        )
        c = credit[lines["FUEL-92"].pk]
        assert left == c - c * returned // 10500
    rest = 10500 - returned
    if rest:
        sale_return(
            actor=manager,
            sale_id=sale.pk,
            lines=[(lines["FUEL-92"].pk, rest)],
            reason="退完",
            idempotency_key=key(),
        )
    assert (
        sum(
            CommissionEntry.objects.filter(sale_line_id=lines["FUEL-92"].pk).values_list(
                "amount_fen", flat=True
            )
        )
        == 0
    )
    # The other line is untouched.
    assert (
        sum(
            CommissionEntry.objects.filter(sale_line_id=lines["A001"].pk).values_list(
                "amount_fen", flat=True
            )
        )
        == credit[lines["A001"].pk]
    )


def test_reversal_share_adds_up(tmp_path):
    for credit, qty in ((74, 10500), (1, 3), (999, 7)):
        for split in ((1,) * qty if qty < 10 else (1000, 2500, 7000),):
            before, total = 0, 0
            for part in split:
                total += calc.reversal_share(
                    credit, quantity_milli=qty, before_milli=before, now_milli=part
                )
                before += part
            assert total == credit


def test_a_recharge_credits_its_operator_once(owner, cashier, funded, staff):
    from huiyuan.events.dispatch import events_dispatch

    _rules(owner)
    recharge = wallet_recharge(
        actor=cashier, card_id=funded.pk, amount_fen=12345, method="cash", idempotency_key=key()
    )
    events_dispatch()
    entry = CommissionEntry.objects.get(recharge_id=recharge.pk)
    assert entry.staff_id == staff[Role.CASHIER].pk and entry.amount_fen == 123
    from huiyuan.commission.subscribers import credit_recharge
    from huiyuan.events.models import OutboxEvent

    event = next(
        e
        for e in OutboxEvent.objects.filter(name="wallet.recharged")
        if e.payload["recharge_id"] == recharge.pk
    )
    credit_recharge(event)  # delivered again: nothing more
    assert CommissionEntry.objects.filter(recharge_id=recharge.pk).count() == 1


def test_rules_need_the_permission_and_valid_values(owner, actors):
    with pytest.raises(DomainError) as refused:
        commission_rule_set(
            actor=actors[Role.STORE_MANAGER],
            kind="recharge",
            method="percent",
            rate_bp=100,
            idempotency_key=key(),
        )
    assert refused.value.code == "permission_denied"
    with pytest.raises(DomainError) as invalid:
        commission_rule_set(
            actor=owner, kind="category", method="percent", rate_bp=100, idempotency_key=key()
        )
    assert invalid.value.code == "category_required"
    with pytest.raises(DomainError) as rate:
        commission_rule_set(
            actor=owner, kind="recharge", method="percent", rate_bp=10_001, idempotency_key=key()
        )
    assert rate.value.code == "invalid_rate"


def test_the_monthly_report_is_store_scoped(shop, owner, cashier, staff, actors, stores):
    from huiyuan.core.clock import local_today

    _rules(owner)
    _sell(cashier, staff[Role.CASHIER], (shop.coffee, 1000), pay=2800)
    month = local_today().strftime("%Y-%m")
    manager = actors[Role.STORE_MANAGER]
    lines = commission_report(actor=manager, month=month)
    assert [(line.staff_id, line.sales_fen, line.total_fen) for line in lines] == [
        (staff[Role.CASHIER].pk, 93, 93)
    ]
    with pytest.raises(DomainError) as refused:
        commission_report(actor=manager, month=month, store_id=stores[1].pk)
    assert refused.value.code == "store_forbidden"
    assert commission_report(actor=owner, month=month, store_id=stores[1].pk) == []
    with pytest.raises(DomainError) as bad:
        commission_report(actor=owner, month="2026-13")
    assert bad.value.code == "invalid_month"


def test_a_quick_sale_is_paid_by_its_categorys_rule(owner, cashier, staff, stores):
    from huiyuan.checkout.services import QuickSaleInput, sale_quick

    _rules(owner)
    sale = sale_quick(
        actor=cashier,
        data=QuickSaleInput(
            amount_fen=10000,
            category="drinks",
            external_method="cash",
            associate_id=staff[Role.CASHIER].pk,
        ),
        idempotency_key=key(),
    )
    assert list(
        CommissionEntry.objects.filter(sale_id=sale.pk).values_list("amount_fen", flat=True)
    ) == [333]
