"""``price_basket``: a basket, a member, a context, rules and a payment → a priced basket.

Pure: no database, no clock, no settings. The same input gives the same output, so the
quote screen and the sale call it alike and agree. Steps, each in its own module:

1. measure each line: its quantity (derived for an amount-only line) and list amount;
2. discounts (``discounts.py``): promotion and tier rate per line, rounded and allocated;
3. bundles: the line's list and payable shared out to its items by their list prices;
4. payments (``payments.py``): points offset, principal/bonus, external, per line;
5. what may earn points: principal + external of the lines that earn, per category.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from huiyuan.pricing import coupons as coupon_rules
from huiyuan.pricing.allocation import allocate, round_half_up_div
from huiyuan.pricing.coupons import CouponLine, CouponTerms
from huiyuan.pricing.discounts import LineDiscounts, Measured, discount_lines
from huiyuan.pricing.errors import PricingError
from huiyuan.pricing.inputs import (
    MILLI,
    Basket,
    Line,
    MemberSnapshot,
    PaymentRequest,
    PricingContext,
    Promotion,
)
from huiyuan.pricing.outputs import (
    BundleComponent,
    EligibleAmount,
    PricedBasket,
    PricedLine,
    Reason,
)
from huiyuan.pricing.payments import LinePayments, plan_payment

NO_PAYMENT = PaymentRequest()  # everything paid externally


def _measure(line: Line) -> tuple[Measured, list[Reason]]:
    """Quantity and list amount of one line; refuse a line that cannot be priced."""
    if line.unit_price_fen < 0:
        raise PricingError("invalid_price", line_id=line.line_id)
    if (line.quantity_milli is None) == (line.amount_fen is None):
        raise PricingError("invalid_line", line_id=line.line_id)
    if line.amount_fen is not None:
        if line.bundle_items or not line.divisible:
            raise PricingError("amount_only_not_divisible", line_id=line.line_id)
        if line.amount_fen <= 0 or line.unit_price_fen <= 0:
            raise PricingError("invalid_amount", line_id=line.line_id)
        quantity = line.amount_fen * MILLI // line.unit_price_fen
        if quantity == 0:
            raise PricingError("amount_too_small", line_id=line.line_id)
        note = Reason(
            "line.amount_only",
            {
                "amount_fen": line.amount_fen,
                "unit_price_fen": line.unit_price_fen,
                "quantity_milli": quantity,
                "unit": line.unit,
            },
        )
        return Measured(line, quantity, line.amount_fen), [note]
    assert line.quantity_milli is not None
    quantity = line.quantity_milli
    if quantity <= 0:
        raise PricingError("invalid_quantity", line_id=line.line_id)
    if not line.divisible and quantity % MILLI:
        raise PricingError("fractional_quantity", line_id=line.line_id)
    if any(item.quantity_milli <= 0 or item.unit_price_fen < 0 for item in line.bundle_items):
        raise PricingError("invalid_bundle", line_id=line.line_id)
    return Measured(line, quantity, round_half_up_div(line.unit_price_fen * quantity, MILLI)), []


def _components(item: Measured, payable_fen: int) -> tuple[BundleComponent, ...]:
    """A bundle's items with the bundle's list and payable allocated by their list prices."""
    items = item.line.bundle_items
    quantities = [part.quantity_milli * item.quantity_milli // MILLI for part in items]
    item_lists = [
        round_half_up_div(part.unit_price_fen * part.quantity_milli * item.quantity_milli, MILLI**2)
        for part in items
    ]
    weights = item_lists if sum(item_lists) else [1] * len(items)
    list_shares = allocate(item.list_fen, weights)
    payable_shares = allocate(payable_fen, list_shares)
    return tuple(
        BundleComponent(
            product_id=part.product_id,
            sku=part.sku,
            name=part.name,
            quantity_milli=quantity,
            item_list_fen=item_list,
            list_fen=list_share,
            payable_fen=payable_share,
        )
        for part, quantity, item_list, list_share, payable_share in zip(
            items, quantities, item_lists, list_shares, payable_shares, strict=True
        )
    )


def _eligible(line: Line, paid: LinePayments, earn_frozen: bool, notes: list[Reason]) -> int:
    if line.no_points:
        notes.append(Reason("line.no_points"))
        return 0
    return 0 if earn_frozen else paid.principal_fen + paid.external_fen


def _by_category(lines: Sequence[PricedLine]) -> tuple[EligibleAmount, ...]:
    groups: dict[tuple[str, ...], list[PricedLine]] = {}
    for line in lines:
        if line.points_eligible_fen > 0:
            groups.setdefault(line.category_path, []).append(line)
    return tuple(
        EligibleAmount(
            category_path=path,
            amount_fen=sum(line.points_eligible_fen for line in members),
            line_ids=tuple(line.line_id for line in members),
        )
        for path, members in groups.items()
    )


def _discounted(
    basket: Basket,
    context: PricingContext,
    member: MemberSnapshot | None,
    promotions: Sequence[Promotion],
) -> tuple[list[Measured], list[list[Reason]], list[LineDiscounts]]:
    """Steps 1 and 2: the lines measured, with their promotions and tier rate."""
    line_ids = [line.line_id for line in basket.lines]
    if len(set(line_ids)) != len(line_ids):
        raise PricingError("duplicate_line")
    measured: list[Measured] = []
    notes: list[list[Reason]] = []
    for line in basket.lines:
        item, line_notes = _measure(line)
        measured.append(item)
        notes.append(line_notes)
    discounts = discount_lines(measured, member=member, promotions=promotions, context=context)
    return measured, notes, discounts


def _coupon_lines(
    measured: Sequence[Measured], discounts: Sequence[LineDiscounts]
) -> list[CouponLine]:
    return [
        CouponLine(item.line, item.quantity_milli, item.list_fen - d.total_fen)
        for item, d in zip(measured, discounts, strict=True)
    ]


def propose_coupons(
    basket: Basket,
    *,
    context: PricingContext,
    member: MemberSnapshot | None = None,
    promotions: Sequence[Promotion] = (),
    coupons: Sequence[CouponTerms] = (),
) -> tuple[dict[int, str | None], tuple[CouponTerms, ...], int]:
    """For the quote screen: each coupon's ``why_not`` (None: applies), the best allowed
    combination (``coupons.best_combination``) and what it is worth."""
    measured, _notes, discounts = _discounted(basket, context, member, promotions)
    lines = _coupon_lines(measured, discounts)
    verdicts = coupon_rules.applicable(lines, coupons, context=context, member=member)
    best, worth = coupon_rules.best_combination(lines, coupons, context=context, member=member)
    return verdicts, best, worth


def price_basket(
    basket: Basket,
    *,
    context: PricingContext,
    member: MemberSnapshot | None = None,
    promotions: Sequence[Promotion] = (),
    payment: PaymentRequest = NO_PAYMENT,
    coupons: Sequence[CouponTerms] = (),
) -> PricedBasket:
    """Price ``basket`` for ``member`` (None: walk-in) at ``context`` and pay by ``payment``.

    ``coupons`` are applied after promotions and the tier rate, all of them or none
    (``coupons.apply_coupons``). Raises ``PricingError`` (with a stable ``code``) for a
    line, rule, coupon or payment request that cannot be honoured; nothing else.
    """
    measured, notes, discounts = _discounted(basket, context, member, promotions)
    if coupons:
        applied = coupon_rules.apply_coupons(
            _coupon_lines(measured, discounts), coupons, context=context, member=member
        )
        for discount, extra in zip(discounts, applied.adjustments, strict=True):
            discount.adjustments.extend(extra)
    payables = [item.list_fen - d.total_fen for item, d in zip(measured, discounts, strict=True)]
    plan = plan_payment(payables, member, payment)
    earn_frozen = member is not None and member.earn_frozen
    basket_notes = list(plan.notes)
    if earn_frozen:
        basket_notes.append(Reason("points.earn_frozen"))
    priced: list[PricedLine] = []
    for item, discount, payable, paid, line_notes in zip(
        measured, discounts, payables, plan.lines, notes, strict=True
    ):
        line = item.line
        line_notes.extend(discount.notes)
        components = _components(item, payable) if line.bundle_items else ()
        if components:
            line_notes.append(Reason("bundle.allocated", {"items": len(components)}))
        priced.append(
            PricedLine(
                line_id=line.line_id,
                product_id=line.product_id,
                sku=line.sku,
                name=line.name,
                category_path=line.category_path,
                unit=line.unit,
                unit_price_fen=line.unit_price_fen,
                quantity_milli=item.quantity_milli,
                list_fen=item.list_fen,
                adjustments=tuple(discount.adjustments),
                discount_fen=discount.total_fen,
                payable_fen=payable,
                points_offset_fen=paid.points_offset_fen,
                points_used=paid.points_used,
                principal_fen=paid.principal_fen,
                bonus_fen=paid.bonus_fen,
                external_fen=paid.external_fen,
                points_eligible_fen=_eligible(line, paid, earn_frozen, line_notes),
                no_points=line.no_points,
                components=components,
                notes=tuple(line_notes),
            )
        )
    return PricedBasket(
        lines=tuple(priced),
        list_fen=sum(line.list_fen for line in priced),
        discount_fen=sum(line.discount_fen for line in priced),
        payable_fen=sum(payables),
        points_used=plan.points_used,
        points_offset_fen=plan.points_offset_fen,
        principal_fen=plan.principal_fen,
        bonus_fen=plan.bonus_fen,
        external_fen=plan.external_fen,
        points_max=plan.points_max,
        points_eligible=_by_category(priced),
        notes=tuple(basket_notes),
    )


def allocate_earned_points(
    priced: PricedBasket, earned: Mapping[tuple[str, ...], int]
) -> dict[int, int]:
    """Share the points earned per category (keyed like ``points_eligible``) to its lines.

    By each line's eligible amount, largest remainder, ties to the earlier line; so a
    return of a line takes back exactly the points that line earned.
    """
    shares = {line.line_id: 0 for line in priced.lines}
    for group in priced.points_eligible:
        weights = [priced.line(line_id).points_eligible_fen for line_id in group.line_ids]
        for line_id, share in zip(
            group.line_ids, allocate(earned.get(group.category_path, 0), weights), strict=True
        ):
            shares[line_id] = share
    return shares
