"""Basket sales through the one sale path: exact fen per line, refusals that change nothing,
the quote that equals the sale, and a statement count that does not grow with the basket."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huiyuan.cards import services as card_services
from huiyuan.catalog import services as catalog
from huiyuan.checkout.models import Sale, SaleLine
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    PromotionInput,
    SaleLineInput,
    promotion_publish,
    sale_complete,
    sale_quote_basket,
)
from huiyuan.checkout.tests.conftest import snapshot
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.members import services as member_services
from huiyuan.tiers.services import tier_create


def item(product, quantity: int = 1, **extra) -> SaleLineInput:
    return SaleLineInput(product_id=product.pk, quantity_milli=quantity * 1000, **extra)


def test_basket_paid_by_points_balance_and_two_external_methods(shop, funded, cashier):
    data = BasketSaleInput(
        lines=(item(shop.coffee, 2), item(shop.tea), item(shop.cake)),
        card_id=funded.pk,
        points=1000,
        balance_fen=5000,
        payments=(ExternalPayment("cash", 2000), ExternalPayment("wechat", 840)),
    )
    sale = sale_complete(actor=cashier, data=data, idempotency_key=key())
    assert (sale.amount_fen, sale.discount_fen, sale.payable_fen) == (8840, 0, 8840)
    assert (sale.points_used, sale.points_offset_fen) == (1000, 1000)
    assert (sale.paid_principal_fen, sale.paid_bonus_fen, sale.paid_external_fen) == (5000, 0, 2840)
    assert sale.external_method == "mixed"
    assert sale.payments == [
        {"method": "cash", "amount_fen": 2000},
        {"method": "wechat", "amount_fen": 840},
    ]
    # Per line, by largest remainder: offset 1000 → 634/141/225, principal 5000 → 3167/707/1126.
    rows = list(
        SaleLine.objects.filter(sale=sale)
        .order_by("position")
        .values_list(
            "name",
            "quantity_milli",
            "list_fen",
            "points_offset_fen",
            "points_used",
            "principal_fen",
            "external_fen",
            "points_earned",
        )
    )
    assert rows == [
        ("拿铁", 2000, 5600, 634, 634, 3167, 1799, 49),
        ("绿茶", 1000, 1250, 141, 141, 707, 402, 11),
        ("蛋糕", 1000, 1990, 225, 225, 1126, 639, 17),
    ]
    # Points per category on principal + external: drinks ¥60.75 → 60, food ¥17.65 → 17.
    assert sale.points_earned == 77
    assert [c["points"] for c in sale.earn_explanation["by_category"]] == [60, 17]
    assert balances(funded) == {"principal": 45000, "bonus": 5000, "points": 77}
    assert OutboxEvent.objects.filter(name="sale.completed").count() == 1
    report = verify_ledger()
    assert report.ok, report.problems


def test_tier_rate_promotion_and_an_amount_only_fuel_line(shop, owner, cashier):
    from huiyuan.ledger.tests.factories import default_rule

    default_rule(owner)
    tier_create(actor=owner, code="gold", name="金卡", level=1, discount_permille=900)
    promotion_publish(
        actor=owner,
        data=PromotionInput(
            code="drinks8",
            name="饮品8折",
            kind="percent_off",
            value=800,
            category_codes=("drinks",),
            stacking="exclusive",
        ),
    )
    c = card(cashier, owner)
    lines = (
        item(shop.coffee),
        item(shop.tea),
        item(shop.cake),
        SaleLineInput(product_id=shop.petrol.pk, amount_fen=20000),
    )
    quote = sale_quote_basket(actor=cashier, data=BasketSaleInput(lines=lines, card_id=c.pk))
    sale = sale_complete(
        actor=cashier,
        data=BasketSaleInput(lines=lines, card_id=c.pk, payments=(ExternalPayment("cash", 23230),)),
        idempotency_key=key(),
    )
    # Drinks 8折 (promotion only): 810 off; cake: no discount; petrol ¥200 at 9折: 2000 off.
    assert (sale.amount_fen, sale.discount_fen, sale.payable_fen) == (26040, 2810, 23230)
    assert (quote.priced.payable_fen, quote.priced.discount_fen) == (23230, 2810)
    lines_by_name = {line.name: line for line in SaleLine.objects.filter(sale=sale)}
    petrol = lines_by_name["92#汽油"]
    assert (petrol.quantity_milli, petrol.discount_fen, petrol.product_id) == (
        25348,
        2000,
        shop.petrol.pk,
    )
    coffee = lines_by_name["拿铁"]
    assert coffee.discount_fen == 560
    assert [a["rule"]["code"] for a in coffee.adjustments] == ["drinks8"]
    assert coffee.adjustments[0]["reason"]["code"] == "promotion.percent_off"
    assert lines_by_name["蛋糕"].discount_fen == 0
    # Drinks ¥32.40 → 32, food ¥19.90 → 19, petrol ¥180 → 180.
    assert sale.points_earned == 231
    assert sale.tier_code == "gold"
    assert balances(c)["points"] == 231


def test_a_scanned_barcode_and_a_price_changed_since_the_quote(shop, owner, cashier):
    lines = (SaleLineInput(code="6901234567892", quantity_milli=1000, quoted_unit_price_fen=2800),)
    catalog.price_change_schedule(actor=owner, product_id=shop.coffee.pk, price_fen=3000)
    sale = sale_complete(
        actor=cashier,
        data=BasketSaleInput(lines=lines, payments=(ExternalPayment("alipay", 3000),)),
        idempotency_key=key(),
    )
    line = SaleLine.objects.get(sale=sale)
    assert (sale.payable_fen, line.unit_price_fen) == (3000, 3000)
    assert {"code": "price.changed", "params": {"quoted_fen": 2800, "price_fen": 3000}} in (
        line.notes
    )
    assert {"code": "price.changed", "params": {"lines": 1}} in sale.notes
    assert sale.card_id is None and sale.earn_explanation["steps"] == [{"code": "no_card"}]


def test_the_same_key_makes_one_sale(shop, funded, cashier):
    data = BasketSaleInput(lines=(item(shop.tea),), card_id=funded.pk, balance_fen=1250)
    k = key()
    first = sale_complete(actor=cashier, data=data, idempotency_key=k)
    again = sale_complete(actor=cashier, data=data, idempotency_key=k)
    assert first.pk == again.pk
    assert (Sale.objects.count(), SaleLine.objects.count()) == (1, 1)
    assert balances(funded)["principal"] == 50000 - 1250


@pytest.mark.parametrize(
    "lines,extra,code",
    [
        ((SaleLineInput(code="0000000", quantity_milli=1000),), {}, "unknown_product"),
        (("coffee", -1000), {}, "invalid_quantity"),
        (("coffee", 1500), {}, "fractional_quantity"),
        (("coffee", 0), {}, "invalid_quantity"),
        (("coffee", 30000), {"balance_fen": 60000}, "insufficient_balance"),
        (("coffee", 1000), {"points": 1200, "balance_fen": 0}, "insufficient_points"),
        (("coffee", 1000), {"points": 1500}, "points_offset_too_high"),
        (("coffee", 1000), {"balance_fen": 2800, "pay": 100}, "payments_exceed_due"),
        (("coffee", 1000), {"balance_fen": 800, "pay": 1000}, "external_method_required"),
        (("coffee", 1000), {}, "external_method_required"),
        ((SaleLineInput(product_id=1, code="x", quantity_milli=1000),), {}, "invalid_line"),
    ],
)
def test_refusals_change_nothing(shop, funded, cashier, lines, extra, code):
    if isinstance(lines[0], str):
        lines = (SaleLineInput(product_id=getattr(shop, lines[0]).pk, quantity_milli=lines[1]),)
    pay = extra.pop("pay", None)
    before = snapshot(funded)
    with pytest.raises(DomainError) as err:
        sale_complete(
            actor=cashier,
            data=BasketSaleInput(
                lines=lines,
                card_id=funded.pk,
                payments=(ExternalPayment("cash", pay),) if pay else (),
                **extra,
            ),
            idempotency_key=key(),
        )
    assert err.value.code == code
    assert snapshot(funded) == before


def test_delisted_product_frozen_member_lost_and_expired_cards_are_refused(
    shop, funded, owner, cashier, actors
):
    def attempt(lines=None, **extra):
        lines = lines or (item(shop.tea),)
        with pytest.raises(DomainError) as err:
            sale_complete(
                actor=cashier,
                data=BasketSaleInput(lines=lines, card_id=funded.pk, **extra),
                idempotency_key=key(),
            )
        return err.value.code

    before = snapshot(funded)
    catalog.product_delist(actor=owner, product_id=shop.cake.pk, reason="停售")
    assert attempt(lines=(item(shop.cake),), payments=(ExternalPayment("cash", 1990),)) == (
        "product_delisted"
    )
    member_services.member_freeze(
        actor=actors[Role.STORE_MANAGER],
        member_id=funded.member_id,
        earning=False,
        spending=True,
        reason="风控",
    )
    assert attempt(balance_fen=1250) == "member_spend_frozen"
    member_services.member_unfreeze(
        actor=actors[Role.STORE_MANAGER],
        member_id=funded.member_id,
        earning=False,
        spending=True,
        reason="ok",
    )
    card_services.card_report_lost(actor=cashier, card_id=funded.pk, reason="丢失")
    assert attempt(balance_fen=1250) == "card_lost"
    card_services.card_unreport_lost(actor=owner, card_id=funded.pk, reason="找到")
    type(funded).objects.filter(pk=funded.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    assert attempt(balance_fen=1250) == "card_expired"
    # Nothing of the money moved (the freezes and card changes wrote their own audit rows).
    assert snapshot(funded)[:8] == before[:8]


def test_the_quote_equals_the_sale(shop, funded, cashier):
    data = BasketSaleInput(
        lines=(item(shop.coffee, 3), item(shop.cake), item(shop.group_buy)),
        card_id=funded.pk,
        points=900,
        balance_fen=10000,
    )
    quote = sale_quote_basket(actor=cashier, data=data)
    assert snapshot(funded)[2] == 0
    external = quote.priced.external_fen
    sale = sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=data.lines,
            card_id=funded.pk,
            points=900,
            balance_fen=10000,
            payments=(ExternalPayment("bank_card", external),),
        ),
        idempotency_key=key(),
    )
    assert (sale.payable_fen, sale.paid_external_fen, sale.points_offset_fen) == (
        quote.priced.payable_fen,
        external,
        quote.priced.points_offset_fen,
    )
    lines = SaleLine.objects.filter(sale=sale).order_by("position")
    assert [(line.payable_fen, line.principal_fen) for line in lines] == [
        (q.payable_fen, q.principal_fen) for q in quote.priced.lines
    ]
    # The group-buy line earns nothing.
    assert lines[2].points_earned == 0 and lines[2].points_eligible_fen == 0


def _statements(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))
    ]


def test_statements_do_not_grow_with_the_basket(
    shop, funded, owner, cashier, django_capture_on_commit_callbacks
):
    """One checkout reads and writes per table, not per line: 1 line or 10, same count."""
    tier_create(actor=owner, code="normal", name="普通", level=1)
    tier_create(actor=owner, code="gold", name="金卡", level=2, threshold=10_000_000)
    promotion_publish(
        actor=owner,
        data=PromotionInput(
            code="tea", name="茶9折", kind="percent_off", value=900, product_ids=(shop.tea.pk,)
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):  # store rows remembered
        sale_complete(
            actor=cashier,
            data=BasketSaleInput(lines=(item(shop.tea),), card_id=funded.pk, balance_fen=1125),
            idempotency_key=key(),
        )

    def count(n: int) -> int:
        lines = tuple(item(shop.coffee if i % 2 else shop.tea) for i in range(n))
        quote = sale_quote_basket(actor=cashier, data=BasketSaleInput(lines=lines))
        data = BasketSaleInput(
            lines=lines,
            card_id=funded.pk,
            points=100,
            balance_fen=1000,
            payments=(ExternalPayment("cash", quote.priced.payable_fen - 1000 - 100),),
        )
        with CaptureQueriesContext(connection) as queries:
            sale_complete(actor=cashier, data=data, idempotency_key=key())
        return len(_statements(queries))

    one, ten = count(1), count(10)
    assert one == ten, (one, ten)
    # The quick sale's 24, the products with their prices, the promotions, and one look-up
    # per sale participant that reads the basket's products (stock items, count-card plans).
    assert one <= 29


def test_a_tier_rate_per_category_beats_its_default(shop, owner, cashier, funded):
    """Drinks at 90% for the tier, everything else at the tier's default 95%."""
    tier_create(
        actor=owner,
        code="gold",
        name="金卡",
        level=1,
        discount_permille=950,
        category_discounts={"drinks": 900},
    )
    quote = sale_quote_basket(
        actor=cashier,
        data=BasketSaleInput(
            lines=(
                SaleLineInput(product_id=shop.coffee.pk, quantity_milli=1000),
                SaleLineInput(product_id=shop.petrol.pk, quantity_milli=10_000),
            ),
            card_id=funded.pk,
        ),
    )
    coffee, petrol = quote.priced.lines
    assert coffee.discount_fen == 280  # ¥28.00 × 10%
    assert petrol.discount_fen == 395  # ¥78.90 × 5% = 3.945 → 3.95 (half up)
    with pytest.raises(DomainError) as refused:
        tier_create(
            actor=owner, code="bad", name="坏", level=2, category_discounts={"drinks": 1001}
        )
    assert refused.value.code == "invalid_discount"
