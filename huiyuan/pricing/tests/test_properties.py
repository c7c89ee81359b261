"""Properties of the engine over generated baskets, members, promotions and payments.

- nothing is ever negative or above list, per line and in total;
- every allocation adds up exactly (adjustments, payments, bundle items, eligible amounts);
- the same input gives the same output, whatever order the promotions come in;
- any partition of the lines' quantities into returns gives back every payment kind, the
  discount and the points earned exactly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiyuan.pricing import (
    Basket,
    BenefitTerms,
    BundleItem,
    Line,
    LineAmounts,
    MemberSnapshot,
    PaymentPolicy,
    PaymentRequest,
    PricedBasket,
    PricingContext,
    Promotion,
    PromotionKind,
    SpendOrder,
    Stacking,
    TierTerms,
    allocate_earned_points,
    line_refund,
    price_basket,
)
from huiyuan.pricing.tests.builders import SHANGHAI

PROPERTIES = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PATHS = [
    (),
    ("shop",),
    ("shop", "drink"),
    ("shop", "drink", "water"),
    ("fuel", "petrol"),
    ("fuel", "diesel"),
]
CODES = sorted({code for path in PATHS for code in path})
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday
PAID_FEN = ("points_offset_fen", "principal_fen", "bonus_fen", "external_fen")
PAYMENT_KINDS = (*PAID_FEN, "points_used")


@st.composite
def lines(draw: st.DrawFn, line_id: int) -> Line:
    kind = draw(st.sampled_from(["piece", "loose", "amount", "bundle"]))
    price = draw(st.integers(0, 20_000))
    common: dict[str, Any] = {
        "line_id": line_id,
        "product_id": draw(st.integers(1, 6)),
        "sku": f"S{line_id}",
        "category_path": draw(st.sampled_from(PATHS)),
        "no_discount": draw(st.integers(0, 3)) == 0,
        "no_points": draw(st.integers(0, 3)) == 0,
    }
    if kind == "amount":
        price = max(price, 1)
        amount = draw(st.integers(-(-price // 1000), 50_000))
        return Line(unit_price_fen=price, amount_fen=amount, divisible=True, **common)
    if kind == "loose":
        quantity = draw(st.integers(1, 30_000))
        return Line(unit_price_fen=price, quantity_milli=quantity, divisible=True, **common)
    quantity = draw(st.integers(1, 12)) * 1000
    items: tuple[BundleItem, ...] = ()
    if kind == "bundle":
        items = tuple(
            BundleItem(
                product_id=100 + i,
                sku=f"B{i}",
                quantity_milli=draw(st.integers(1, 3)) * 1000,
                unit_price_fen=draw(st.integers(0, 5_000)),
            )
            for i in range(draw(st.integers(1, 4)))
        )
    return Line(unit_price_fen=price, quantity_milli=quantity, bundle_items=items, **common)


@st.composite
def promotions(draw: st.DrawFn, promotion_id: int) -> Promotion:
    kind = draw(st.sampled_from(list(PromotionKind)))
    value = draw(
        {
            PromotionKind.PERCENT_OFF: st.integers(0, 1000),
            PromotionKind.AMOUNT_OFF_PER_UNIT: st.integers(0, 3_000),
            PromotionKind.FIXED_UNIT_PRICE: st.integers(0, 20_000),
        }[kind]
    )
    first = START.date() + dt.timedelta(days=draw(st.integers(0, 13)))
    return Promotion(
        id=promotion_id,
        version=draw(st.integers(1, 3)),
        code=f"P{promotion_id}",
        name=f"促销{promotion_id}",
        kind=kind,
        value=value,
        product_ids=frozenset(draw(st.sets(st.integers(1, 6), max_size=2))),
        category_codes=frozenset(draw(st.sets(st.sampled_from(CODES), max_size=2))),
        store_ids=frozenset(draw(st.sets(st.integers(1, 2), max_size=1))),
        weekdays=frozenset(draw(st.sets(st.integers(1, 7), max_size=3))),
        on_holidays=draw(st.booleans()),
        date_ranges=draw(
            st.sampled_from([(), ((first, first + dt.timedelta(days=draw(st.integers(0, 5)))),)])
        ),
        priority=draw(st.integers(0, 2)),
        stacking=draw(st.sampled_from(list(Stacking))),
    )


@st.composite
def members(draw: st.DrawFn) -> MemberSnapshot | None:
    if draw(st.integers(0, 5)) == 0:
        return None
    tier = None
    if draw(st.booleans()):
        tier = TierTerms(
            code="t",
            name="等级",
            id=1,
            paid_permille=draw(st.integers(500, 1000)),
            by_category=draw(
                st.dictionaries(st.sampled_from(CODES), st.integers(0, 1000), max_size=3)
            ),
        )
    benefit = None
    if draw(st.integers(0, 2)) == 0:  # a paid benefit card (huiyuan.benefits)
        benefit = BenefitTerms(
            code="b",
            name="权益卡",
            id=1,
            paid_permille=draw(st.integers(500, 1000)),
            by_category=draw(
                st.dictionaries(st.sampled_from(CODES), st.integers(0, 1000), max_size=2)
            ),
            member_prices=draw(
                st.dictionaries(st.integers(1, 6), st.integers(0, 20_000), max_size=2)
            ),
        )
    return MemberSnapshot(
        member_id=1,
        tier=tier,
        benefit=benefit,
        points_available=draw(st.integers(0, 100_000)),
        principal_available=draw(st.integers(0, 100_000)),
        bonus_available=draw(st.integers(0, 50_000)),
        spend_frozen=draw(st.integers(0, 9)) == 0,
        earn_frozen=draw(st.integers(0, 9)) == 0,
    )


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Inputs the engine accepts, with a payment drawn within what the basket allows."""
    basket = Basket(tuple(draw(lines(i)) for i in range(1, draw(st.integers(1, 6)) + 1)))
    at = START + dt.timedelta(days=draw(st.integers(0, 13)), minutes=draw(st.integers(0, 600)))
    context = PricingContext(
        store_id=draw(st.integers(1, 2)),
        local_at=at,
        holidays=frozenset(draw(st.sets(st.sampled_from([at.date(), START.date()]), max_size=2))),
    )
    member = draw(members())
    rules = [draw(promotions(i)) for i in range(draw(st.integers(0, 4)))]
    policy = PaymentPolicy(
        points_per_yuan=draw(st.sampled_from([1, 10, 30, 100, 200, 1000])),
        max_offset_percent=draw(st.integers(0, 100)),
        spend_order=draw(st.sampled_from(list(SpendOrder))),
    )
    inputs = {"basket": basket, "context": context, "member": member, "promotions": rules}
    quote = price_basket(**inputs, payment=PaymentRequest(policy=policy))
    points = balance = 0
    if member is not None and not member.spend_frozen:
        step = policy.points_per_yuan // math.gcd(policy.points_per_yuan, 100)
        points = draw(st.integers(0, quote.points_max // step)) * step
        offset = points * 100 // policy.points_per_yuan
        room = min(quote.payable_fen - offset, member.principal_available + member.bonus_available)
        balance = draw(st.integers(0, room))
    return {
        **inputs,
        "payment": PaymentRequest(points=points, balance_fen=balance, policy=policy),
        "quote": quote,
    }


def price(scenario: dict[str, Any]) -> PricedBasket:
    return price_basket(
        scenario["basket"],
        context=scenario["context"],
        member=scenario["member"],
        promotions=scenario["promotions"],
        payment=scenario["payment"],
    )


@PROPERTIES
@given(scenarios())
def test_never_negative_never_above_list_and_every_allocation_adds_up(scenario):
    result = price(scenario)
    member = scenario["member"]
    policy = scenario["payment"].policy
    assert 0 <= result.payable_fen <= result.list_fen
    for line in result.lines:
        assert 0 <= line.payable_fen <= line.list_fen
        assert line.list_fen - line.discount_fen == line.payable_fen
        assert sum(a.amount_fen for a in line.adjustments) == line.discount_fen
        assert all(a.amount_fen > 0 for a in line.adjustments)
        assert all(getattr(line, kind) >= 0 for kind in PAYMENT_KINDS)
        assert line.payable_fen == sum(getattr(line, kind) for kind in PAID_FEN)
        assert 0 <= line.points_eligible_fen <= line.principal_fen + line.external_fen
        if line.components:
            assert sum(c.list_fen for c in line.components) == line.list_fen
            assert sum(c.payable_fen for c in line.components) == line.payable_fen
            assert all(0 <= c.payable_fen <= c.list_fen for c in line.components)
    for total in ("list_fen", "discount_fen", "payable_fen", *PAYMENT_KINDS):
        assert getattr(result, total) == sum(getattr(line, total) for line in result.lines)
    assert sum(group.amount_fen for group in result.points_eligible) == sum(
        line.points_eligible_fen for line in result.lines
    )
    assert result.points_offset_fen * 100 <= result.payable_fen * policy.max_offset_percent
    if member is not None:
        assert result.points_used <= member.points_available
        assert result.principal_fen <= member.principal_available
        assert result.bonus_fen <= member.bonus_available
    # Paying changes how the bill is paid, never what it costs.
    quote = scenario["quote"]
    assert [line.payable_fen for line in result.lines] == [line.payable_fen for line in quote.lines]


@PROPERTIES
@given(scenarios())
def test_same_input_same_output_whatever_the_order_of_promotions(scenario):
    first = price(scenario)
    again = price(scenario)
    reordered = price({**scenario, "promotions": list(reversed(scenario["promotions"]))})
    assert first == again == reordered
    assert json.dumps(first.as_dict(), ensure_ascii=False) == json.dumps(
        reordered.as_dict(), ensure_ascii=False
    )


@PROPERTIES
@given(scenarios(), st.data())
def test_any_partition_into_returns_gives_everything_back_exactly(scenario, data):
    result = price(scenario)
    earned = {
        group.category_path: data.draw(st.integers(0, 5_000)) for group in result.points_eligible
    }
    earned_by_line = allocate_earned_points(result, earned)
    assert sum(earned_by_line.values()) == sum(earned.values())
    refunded: list[LineAmounts] = []
    for line in result.lines:
        sold = dataclasses.replace(line.amounts(), points_earned=earned_by_line[line.line_id])
        cuts: list[int] = []
        if sold.quantity_milli > 1:
            inner = st.integers(1, sold.quantity_milli - 1)
            cuts = sorted(data.draw(st.sets(inner, max_size=4)))
        # Returns of this line, in order; other lines' returns may come between them.
        returned = 0
        for end in [*cuts, sold.quantity_milli]:
            part = line_refund(sold, returned_before_milli=returned, returning_milli=end - returned)
            assert all(value >= 0 for value in dataclasses.astuple(part))
            refunded.append(part)
            returned = end
        line_parts = refunded[-len(cuts) - 1 :]
        for field in dataclasses.fields(LineAmounts):
            assert sum(getattr(p, field.name) for p in line_parts) == getattr(sold, field.name)
    for kind in ("list_fen", "discount_fen", *PAYMENT_KINDS):
        assert sum(getattr(part, kind) for part in refunded) == getattr(result, kind)
    assert sum(part.points_earned for part in refunded) == sum(earned.values())
