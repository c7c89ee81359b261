"""Property: whatever the basket and the payment, returning every line — in any order, in
any split — gives back every balance and every lot exactly (SQLite, modest examples)."""

from __future__ import annotations

import itertools

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiyuan.checkout.models import Sale, SaleLine
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    SaleLineInput,
    sale_complete,
    sale_quote_basket,
    sale_return,
)
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances, key, lots
from huiyuan.ledger.verify import verify_ledger
from huiyuan.tiers.services import tier_create


class Rollback(Exception):
    """Undo one example's rows, keep the fixtures."""


def _splits(draw, quantity: int, whole: bool) -> list[int]:
    """Cut ``quantity`` (thousandths) into 1–3 positive parts (whole units if ``whole``)."""
    step = 1000 if whole else 1
    units = quantity // step
    cuts = draw(st.lists(st.integers(1, max(1, units - 1)), max_size=2, unique=True))
    points = sorted({c for c in cuts if 0 < c < units})
    edges = [0, *points, units]
    return [(b - a) * step for a, b in itertools.pairwise(edges)]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_returning_everything_restores_every_balance_and_lot(
    data, shop, funded, owner, cashier, actors
):
    manager = actors[Role.STORE_MANAGER]
    products = [shop.coffee, shop.tea, shop.cake, shop.group_buy, shop.petrol]
    try:
        with transaction.atomic():
            if data.draw(st.booleans(), label="gold tier"):
                tier_create(actor=owner, code="gold", name="金卡", level=1, discount_permille=950)
            picks = data.draw(
                st.lists(st.sampled_from(products), min_size=1, max_size=4), label="products"
            )
            lines = []
            for product in picks:
                if product.divisible:
                    amount = data.draw(st.integers(100, 20000), label="amount")
                    lines.append(SaleLineInput(product_id=product.pk, amount_fen=amount))
                else:
                    units = data.draw(st.integers(1, 5), label="units")
                    lines.append(SaleLineInput(product_id=product.pk, quantity_milli=units * 1000))
            lines_t = tuple(lines)
            quote = sale_quote_basket(
                actor=cashier, data=BasketSaleInput(lines=lines_t, card_id=funded.pk)
            )
            points = data.draw(st.integers(0, quote.priced.points_max), label="points")
            offset = points  # 100 points = ¥1: one point, one fen
            room = min(quote.priced.payable_fen - offset, quote.balance_available_fen)
            balance = data.draw(st.integers(0, max(0, room)), label="balance")
            external = quote.priced.payable_fen - offset - balance
            before = (balances(funded), lots(funded))
            sale = sale_complete(
                actor=cashier,
                data=BasketSaleInput(
                    lines=lines_t,
                    card_id=funded.pk,
                    points=points,
                    balance_fen=balance,
                    payments=(ExternalPayment("cash", external),) if external else (),
                ),
                idempotency_key=key(),
            )
            pieces = [
                (line.pk, part)
                for line in SaleLine.objects.filter(sale=sale)
                for part in _splits(data.draw, line.quantity_milli, line.quantity_milli % 1000 == 0)
            ]
            order = data.draw(st.permutations(pieces), label="order")
            handed_back = 0
            for line_id, part in order:
                done = sale_return(
                    actor=manager,
                    sale_id=sale.pk,
                    lines=[(line_id, part)],
                    reason="退货",
                    idempotency_key=key(),
                )
                handed_back += done.external_fen
            assert balances(funded) == before[0]
            assert lots(funded)[: len(before[1])] == before[1]
            assert all(remaining == 0 for _k, _a, remaining in lots(funded)[len(before[1]) :])
            assert handed_back == external
            sale.refresh_from_db()
            assert sale.status == Sale.Status.RETURNED
            assert sale.returned_payable_fen == sale.payable_fen
            report = verify_ledger()
            assert report.ok, report.problems
            raise Rollback
    except Rollback:
        pass
