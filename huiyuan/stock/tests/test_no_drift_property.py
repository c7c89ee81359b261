"""Stock never drifts from its movements: random sequences of purchases, sales, returns and
reversals through checkout's real services, adjustments, transfers and stocktakes, under
either below-zero policy, against a model of what each store should hold."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiyuan.checkout.models import Sale, SaleLine
from huiyuan.checkout.services import sale_complete, sale_return, sale_reverse
from huiyuan.core.errors import DomainError
from huiyuan.ledger.tests.factories import key
from huiyuan.stock import services
from huiyuan.stock.models import StockLevel
from huiyuan.stock.services import PurchaseLineInput, TransferLineInput
from huiyuan.stock.tests.conftest import assert_no_drift, basket, paid

units = st.integers(1, 6).map(lambda n: n * 1000)
litres = st.integers(1, 20_000)
product = st.sampled_from(["coffee", "petrol"])
store = st.sampled_from([0, 1])


def quantity(draw, name: str) -> int:
    return draw(units if name == "coffee" else litres)


@st.composite
def operation(draw):
    kind = draw(
        st.sampled_from(
            ["buy", "buy", "sell", "sell", "return", "reverse", "adjust", "send", "count", "policy"]
        )
    )
    name = draw(product)
    return (
        kind,
        draw(store),
        name,
        quantity(draw, name),
        draw(st.booleans()),
        draw(st.integers(0, 50)),
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation(), min_size=1, max_size=12))
def test_on_hand_always_equals_the_model(owner, manager, cashier, stores, shop, ops):
    products = {"coffee": shop.coffee, "petrol": shop.petrol}
    store_ids = [s.pk for s in stores]
    model: dict[tuple[int, int], int] = defaultdict(int)
    model.update(
        {
            (s, p): q
            for s, p, q in StockLevel.objects.values_list("store_id", "product_id", "on_hand_milli")
        }
    )
    tracked = {p.pk for p in products.values()}
    for p in products.values():
        services.stock_item_set(actor=owner, product_id=p.pk, tracked=True)
    for kind, store_index, name, qty, flag, pick in ops:
        item = products[name]
        at = store_ids[store_index]
        if kind == "buy":
            services.purchase_receive(
                actor=owner,
                store_id=at,
                supplier="甲",
                lines=[PurchaseLineInput(item.pk, qty, 500)],
                idempotency_key=key(),
            )
            model[(at, item.pk)] += qty
        elif kind == "policy":
            services.stock_policy_set(actor=owner, below_zero="refuse" if flag else "allow")
        elif kind == "sell":  # the cashier sells at the first store
            here = store_ids[0]
            refuse = services.below_zero_policy(here) == "refuse"
            data = paid(cashier, basket((item, qty)))
            try:
                sale_complete(actor=cashier, data=data, idempotency_key=key())
            except DomainError as exc:
                assert exc.code == "stock_insufficient"
                assert refuse and model[(here, item.pk)] < qty
            else:
                assert not (refuse and model[(here, item.pk)] < qty)
                model[(here, item.pk)] -= qty
        elif kind == "return":
            lines = list(
                SaleLine.objects.filter(
                    sale__status=Sale.Status.COMPLETED, product_id__in=tracked
                ).order_by("pk")
            )
            lines = [line for line in lines if line.returnable_milli > 0]
            if lines:
                line = lines[pick % len(lines)]
                back = line.returnable_milli if flag else min(line.returnable_milli, 1000)
                if line.product_id == shop.coffee.pk:
                    back = max(1000, back - back % 1000)
                sale_return(
                    actor=manager,
                    sale_id=line.sale_id,
                    lines=[(line.pk, back)],
                    reason="退",
                    idempotency_key=key(),
                )
                model[(store_ids[0], line.product_id)] += back
        elif kind == "reverse":
            sales = list(
                Sale.objects.filter(status=Sale.Status.COMPLETED, returns__isnull=True).order_by(
                    "pk"
                )
            )
            if sales:
                sale = sales[pick % len(sales)]
                sale_reverse(actor=manager, sale_id=sale.pk, reason="冲正", idempotency_key=key())
                for line in sale.lines.all():
                    model[(store_ids[0], line.product_id)] += line.quantity_milli
        elif kind == "adjust":
            delta = qty if flag else -qty
            try:
                services.stock_adjust(
                    actor=owner,
                    store_id=at,
                    product_id=item.pk,
                    quantity_milli=delta,
                    reason="调整",
                    idempotency_key=key(),
                )
            except DomainError as exc:
                assert exc.code == "stock_insufficient"
                assert model[(at, item.pk)] + delta < 0
            else:
                model[(at, item.pk)] += delta
        elif kind == "send":
            other = store_ids[1 - store_index]
            try:
                transfer = services.transfer_send(
                    actor=owner,
                    from_store_id=at,
                    to_store_id=other,
                    lines=[TransferLineInput(item.pk, qty)],
                    idempotency_key=key(),
                )
            except DomainError as exc:
                assert exc.code == "stock_insufficient"
                assert model[(at, item.pk)] < qty
            else:
                model[(at, item.pk)] -= qty
                arrived = qty if flag else qty - (qty % 1000 if qty % 1000 else 1000)
                services.transfer_receive(
                    actor=owner,
                    transfer_id=transfer.pk,
                    received={item.pk: arrived},
                    idempotency_key=key(),
                )
                model[(other, item.pk)] += arrived
        elif kind == "count":
            take = services.stocktake_create(
                actor=owner, store_id=at, product_ids=[item.pk], idempotency_key=key()
            )
            counted = max(0, model[(at, item.pk)]) + (1000 if flag else 0)
            services.stocktake_count(actor=owner, stocktake_id=take.pk, counts={item.pk: counted})
            services.stocktake_post(actor=owner, stocktake_id=take.pk, idempotency_key=key())
            model[(at, item.pk)] = counted
        actual = dict(
            ((s, p), q)
            for s, p, q in StockLevel.objects.values_list("store_id", "product_id", "on_hand_milli")
        )
        assert {k: v for k, v in model.items() if v or k in actual} == actual, (kind, name, qty)
    assert_no_drift()
