"""The member and the basket as the pricing engine sees them, the one call to the engine
that the quote and the sale share, the points a sale earns per category, and the sale's
rows built from the engine's result."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan import pricing
from huiyuan.cards.locks import CardLock
from huiyuan.cards.models import Card
from huiyuan.checkout import hooks, selectors
from huiyuan.checkout.models import Sale, SaleLine
from huiyuan.checkout.services.common import (
    SaleConfig,
    pricing_refusal,
)
from huiyuan.checkout.services.inputs import (
    QUICK_PRODUCT_ID,
    ExternalPayment,
)
from huiyuan.core.errors import ValidationFailed
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.ledger import services as ledger
from huiyuan.ledger.models import Account, Lot
from huiyuan.members.models import Member
from huiyuan.points import services as points_services
from huiyuan.points.rules import EarnContext, EarnResult, RuleSpec, compute_earn, no_points, step
from huiyuan.tiers.models import Tier

# ------------------------------------------------------------------ member and pricing


def tier_terms(tier: Tier | None) -> pricing.TierTerms | None:
    """A tier as the engine takes it: its default rate and its rates per category."""
    if tier is None:
        return None
    return pricing.TierTerms(
        code=tier.code,
        name=tier.name,
        id=tier.pk,
        paid_permille=tier.discount_permille,
        by_category=dict(tier.category_discounts or {}),
    )


def member_snapshot(
    *,
    member: Member | None,
    tier: Tier | None,
    accounts: dict[str, Account],
    lots: dict[int, list[Lot]],
    now: dt.datetime,
) -> pricing.MemberSnapshot:
    """The member and card as the engine sees them (read under the lock for a sale)."""
    bonus, points = accounts[Account.Kind.BONUS], accounts[Account.Kind.POINTS]
    benefit = hooks.benefit_for(member.pk if member else None, now)
    return pricing.MemberSnapshot(
        member_id=member.pk if member else None,
        tier=tier_terms(tier),
        benefit=benefit,
        points_available=(
            ledger.available(points, now, lots[points.pk]) if points.pk in lots else 0
        ),
        principal_available=accounts[Account.Kind.PRINCIPAL].balance,
        bonus_available=ledger.available(bonus, now, lots[bonus.pk]) if bonus.pk in lots else 0,
        spend_frozen=bool(member and member.spend_frozen),
        earn_frozen=bool(member and member.earn_frozen),
    )


def price(
    lines: tuple[pricing.Line, ...],
    *,
    store_id: int | None,
    now: dt.datetime,
    member: pricing.MemberSnapshot | None,
    config: SaleConfig,
    points: int,
    balance_fen: int,
    coupons: Sequence[pricing.CouponTerms] = (),
) -> pricing.PricedBasket:
    """The one call to the engine that the quote and the sale share."""
    promotions = selectors.promotions_in_force(now) if config.has_promotions else ()
    local = timezone.localtime(now)
    holidays = (
        selectors.holidays_around(local.date())
        if any(p.on_holidays for p in promotions)
        else frozenset()
    )
    try:
        return pricing.price_basket(
            pricing.Basket(lines=lines),
            context=pricing.PricingContext(store_id=store_id, local_at=local, holidays=holidays),
            member=member,
            promotions=promotions,
            payment=pricing.PaymentRequest(
                points=points, balance_fen=balance_fen, policy=config.payment_policy
            ),
            coupons=coupons,
        )
    except pricing.PricingError as exc:
        raise pricing_refusal(exc) from exc


def _earn_category(path: tuple[str, ...], rules: Sequence[RuleSpec]) -> str:
    """The category an earn rule is matched on: the most specific code on the line's path
    that some rule names (so a rule for "fuel" covers "petrol" under it), else the most
    specific code."""
    named = {c for r in rules for c in (*r.categories, *r.excluded_categories)}
    for code in reversed(path):
        if code in named:
            return code
    return path[-1] if path else ""


def earn_points(
    *,
    priced: pricing.PricedBasket,
    card: Card,
    member: Member | None,
    tier: Tier | None,
    store_id: int,
    now: dt.datetime,
    quick_category: str | None = None,
    benefit: pricing.BenefitTerms | None = None,
) -> tuple[dict[tuple[str, ...], int], dict[str, Any]]:
    """Points per eligible category by the earn rules in effect, and the explanation.

    The daily cap counts what the earlier categories of this sale earned; a rule's cap per
    sale covers the whole sale. ``benefit``: the member's benefit card in force (the
    snapshot's), whose points multiplier is one more multiplier."""
    if member is not None and member.earn_frozen:
        return {}, no_points("earn_frozen").as_dict()
    groups = priced.points_eligible
    if not groups:
        return {}, compute_earn([], EarnContext(amount_fen=0, at=now, store_id=store_id)).as_dict()
    rules = points_services.rules_in_effect(now)
    base = points_services.earn_context_for(
        card=card,
        amount_fen=0,
        at=now,
        store_id=store_id,
        category="",
        tier_code=tier.code if tier else "",
        tier_multiplier_pct=tier.points_multiplier_pct if tier else 100,
        with_earned_today=any(r.cap_per_day is not None for r in rules),
    )
    if benefit is not None and benefit.points_multiplier_pct != 100:
        base = dataclasses.replace(
            base,
            benefit_code=benefit.name or benefit.code,
            benefit_multiplier_pct=benefit.points_multiplier_pct,
        )
    boost = hooks.points_boost_for(store_id, now)
    if boost is not None and boost.multiplier_pct != 100:
        base = dataclasses.replace(
            base, boost_label=boost.label, boost_multiplier_pct=boost.multiplier_pct
        )
    earned: dict[tuple[str, ...], int] = {}
    results: list[tuple[pricing.EligibleAmount, str, EarnResult]] = []
    so_far = 0
    per_rule: dict[int, int] = {}
    for group in groups:
        category = (
            quick_category
            if quick_category is not None
            else _earn_category(group.category_path, rules)
        )
        result = compute_earn(
            rules,
            dataclasses.replace(
                base,
                amount_fen=group.amount_fen,
                category=category,
                earned_today=base.earned_today + so_far,
            ),
        )
        rule = result.rule
        if rule is not None and rule.cap_per_sale is not None:
            room = max(0, rule.cap_per_sale - per_rule.get(rule.id, 0))
            if result.points > room:
                result.steps.append(
                    step("cap_per_sale", cap=rule.cap_per_sale, points_before=result.points)
                )
                result.points = room
        if rule is not None:
            per_rule[rule.id] = per_rule.get(rule.id, 0) + result.points
        earned[group.category_path] = result.points
        so_far += result.points
        results.append((group, category, result))
    if len(results) == 1:
        return earned, results[0][2].as_dict()
    first_rule = next((r.rule for _g, _c, r in results if r.rule is not None), None)
    return earned, {
        "points": so_far,
        "rule": f"{first_rule.code} v{first_rule.version}" if first_rule else None,
        "rule_id": first_rule.id if first_rule else None,
        "steps": [s for _g, _c, r in results for s in r.steps],
        "by_category": [
            {
                "category": category,
                "amount_fen": group.amount_fen,
                "points": result.points,
                "rule": result.as_dict()["rule"],
            }
            for group, category, result in results
        ],
    }


def reason_dict(reason: pricing.Reason) -> dict[str, Any]:
    return {"code": reason.code, "params": dict(reason.params)}


def line_rows(
    sale: Sale,
    priced: pricing.PricedBasket,
    earned: dict[int, int],
    extra_notes: dict[int, list[dict[str, Any]]],
) -> list[SaleLine]:
    return [
        SaleLine(
            sale=sale,
            position=position,
            product_id=line.product_id if line.product_id != QUICK_PRODUCT_ID else None,
            sku=line.sku,
            name=line.name[:60],
            category_path=list(line.category_path),
            unit=line.unit[:10],
            unit_price_fen=line.unit_price_fen,
            quantity_milli=line.quantity_milli,
            list_fen=line.list_fen,
            discount_fen=line.discount_fen,
            points_offset_fen=line.points_offset_fen,
            points_used=line.points_used,
            principal_fen=line.principal_fen,
            bonus_fen=line.bonus_fen,
            external_fen=line.external_fen,
            points_eligible_fen=line.points_eligible_fen,
            points_earned=earned.get(line.line_id, 0),
            adjustments=[
                {
                    "rule": dataclasses.asdict(a.rule),
                    "amount_fen": a.amount_fen,
                    "reason": reason_dict(a.reason),
                }
                for a in line.adjustments
            ],
            components=[dataclasses.asdict(c) for c in line.components],
            notes=[reason_dict(n) for n in line.notes] + extra_notes.get(line.line_id, []),
        )
        for position, line in enumerate(priced.lines, start=1)
    ]


def external_payments(
    external: int, payments: Sequence[ExternalPayment] | None, rest_method: str
) -> list[dict[str, Any]]:
    """The external payments recorded on the sale: they must cover the external part
    exactly (``rest_method``: one method for whatever is left, as a quick sale pays)."""
    if payments is None:
        if external and not rest_method:
            raise ValidationFailed(
                _("Choose how the remaining %(rest)s is paid.")
                % {"rest": fen_to_yuan_str(external)},
                code="external_method_required",
                field="external_method",
            )
        return [{"method": rest_method, "amount_fen": external}] if external else []
    paid = sum(p.amount_fen for p in payments)
    if paid > external:
        raise ValidationFailed(
            _(
                "The payments (%(paid)s) exceed what is left to pay (%(due)s); give change, "
                "do not record it."
            )
            % {"paid": fen_to_yuan_str(paid), "due": fen_to_yuan_str(external)},
            code="payments_exceed_due",
            field="payments",
            details={"paid_fen": paid, "due_fen": external},
        )
    if paid < external:
        raise ValidationFailed(
            _("Choose how the remaining %(rest)s is paid.")
            % {"rest": fen_to_yuan_str(external - paid)},
            code="external_method_required",
            field="payments",
            details={"paid_fen": paid, "due_fen": external},
        )
    return [{"method": p.method, "amount_fen": p.amount_fen} for p in payments]


def notes_of_participants(
    priced: pricing.PricedBasket,
    *,
    store_id: int,
    lock: CardLock | None,
    now: dt.datetime,
    completing: bool,
    member_id: int | None = None,
    card_id: int | None = None,
) -> list[hooks.Note]:
    """What the sale's participants (stock, count cards…) say of the basket; they may
    refuse it by raising."""
    if not hooks.participants():
        return []
    return hooks.quote_notes(
        hooks.QuoteContext(
            store_id=store_id,
            lines=priced.lines,
            member_id=(lock.member.pk if lock and lock.member else member_id),
            card_id=(lock.card.pk if lock else card_id),
            now=now,
            completing=completing,
        )
    )


def note_dict(note: hooks.Note) -> dict[str, Any]:
    return {
        "code": note.code,
        "params": {**note.params, "message": str(note.message), "line_id": note.line_id},
    }
