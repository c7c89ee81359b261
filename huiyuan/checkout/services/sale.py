"""One sale path (S1): a basket — or a quick amount, a basket of one line — priced by the
pricing engine, paid, earned and posted in one transaction.

``sale_complete`` runs as an idempotent command (``command_run``). Inside, in this order:
the card's lock (member → card → accounts → tier state) and every status decided under it;
the configuration in one query (tiers with the points and wallet policies, and whether a
promotion is in force); the lines at the prices in force at completion
(``catalog.selectors.pricing_lines_for``); the promotions in force; ``pricing.price_basket``;
points per eligible category by the earn rules, shared out to the lines; ONE ledger
operation; the sale and its lines (one INSERT each); audit, outbox event, tier upgrade.

``sale_quote_basket`` prices the same basket the same way without writing anything, so the
quote equals the sale. A price that changed between the quote and the payment is the one
in force at completion, and the sale says so (a ``price.changed`` note on the line).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan import pricing
from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import CardLock, card_lock
from huiyuan.cards.models import Card
from huiyuan.cards.services import card_require_usable
from huiyuan.catalog.selectors import LineRequest, pricing_lines_for
from huiyuan.checkout import hooks, selectors
from huiyuan.checkout.models import Sale, SaleLine
from huiyuan.checkout.services import coupon_seam, joining
from huiyuan.checkout.services.common import (
    MAX_SALE_FEN,
    SaleConfig,
    pricing_refusal,
    sale_config,
    sale_create,
    sale_load,
    store_for_receipt,
)
from huiyuan.checkout.services.joining import EnrolRequest
from huiyuan.core.errors import Conflict, ValidationFailed
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account, Lot
from huiyuan.members.models import Member
from huiyuan.points import services as points_services
from huiyuan.points.rules import EarnContext, EarnResult, RuleSpec, compute_earn, no_points, step
from huiyuan.pricing.inputs import MILLI
from huiyuan.stores.models import Staff
from huiyuan.stores.scope import ScopeOp, scope_require
from huiyuan.tiers import services as tier_services
from huiyuan.tiers.models import MemberTier, Tier
from huiyuan.wallet.models import PaymentMethod

MAX_LINES = 200
MAX_QUANTITY_MILLI = 1_000_000_000  # a million units
MAX_PAYMENTS = 5
QUICK_PRODUCT_ID = 0  # the engine's product id of a quick (amount-only) line
MIXED = "mixed"  # ``Sale.external_method`` when several external methods paid


@dataclass(frozen=True)
class SaleLineInput:
    """A product by id or by the code a scanner read, and a quantity in thousandths of its
    unit or an amount (fuel grade + ¥200). ``quoted_unit_price_fen``: the unit price the
    quote showed; if the price changed since, the sale says so."""

    product_id: int | None = None
    code: str = ""
    quantity_milli: int | None = None
    amount_fen: int | None = None
    quoted_unit_price_fen: int | None = None


@dataclass(frozen=True)
class ExternalPayment:
    method: str  # cash, bank_card, wechat, alipay…
    amount_fen: int


@dataclass(frozen=True)
class BasketSaleInput:
    lines: tuple[SaleLineInput, ...]
    card_id: int | None = None
    points: int = 0  # to offset
    balance_fen: int = 0  # from stored value (principal and bonus)
    payments: tuple[ExternalPayment, ...] = ()  # must cover the external part exactly
    associate_id: int | None = None  # the sales associate (导购) credited with the sale
    enrol: EnrolRequest | None = None  # a walk-in customer's mobile: join (M2) by policy
    coupon_codes: tuple[str, ...] = ()  # coupons chosen (scanned or typed), see coupon_seam
    offline_at: dt.datetime | None = None  # made on a POS while offline (ledger.offline)


@dataclass(frozen=True)
class QuickSaleInput:
    amount_fen: int
    card_id: int | None = None
    category: str = ""
    balance_fen: int = 0  # to pay from stored value (principal and bonus)
    points: int = 0  # to offset
    external_method: str = ""  # for whatever is left
    associate_id: int | None = None  # the sales associate (导购) credited with the sale


# ------------------------------------------------------------------------- input checks


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_payment_request(card_id: int | None, balance_fen: int, points: int) -> None:
    if not (_is_int(balance_fen) and _is_int(points)) or balance_fen < 0 or points < 0:
        raise ValidationFailed(_("Amounts cannot be negative."), code="invalid_amount")
    if balance_fen > MAX_SALE_FEN or points > MAX_SALE_FEN * 100:
        raise ValidationFailed(_("Enter an amount above zero."), code="invalid_amount")
    if (balance_fen or points) and card_id is None:
        raise ValidationFailed(_("Paying by balance or points needs a card."), code="card_required")


def _check_method(method: str, field: str = "external_method") -> None:
    if method not in PaymentMethod.values:
        raise ValidationFailed(_("Unknown payment method."), code="invalid_method", field=field)


def _check_lines(lines: Sequence[SaleLineInput]) -> None:
    if not lines:
        raise ValidationFailed(_("Add at least one line."), code="lines_required", field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationFailed(
            _("A sale holds at most %(n)s lines.") % {"n": MAX_LINES},
            code="too_many_lines",
            field="lines",
        )
    for position, line in enumerate(lines, start=1):
        details = {"line_id": position}
        if (line.product_id is None) == (not (line.code or "").strip()):
            raise ValidationFailed(
                _("Give each line a product or a scanned code."),
                code="invalid_line",
                details=details,
            )
        if (line.quantity_milli is None) == (line.amount_fen is None):
            raise ValidationFailed(
                _("Give each line a quantity or an amount, not both."),
                code="invalid_line",
                details=details,
            )
        if line.quantity_milli is not None and (
            not _is_int(line.quantity_milli) or not 0 < line.quantity_milli <= MAX_QUANTITY_MILLI
        ):
            raise ValidationFailed(
                _("Enter a quantity above zero."), code="invalid_quantity", details=details
            )
        if line.amount_fen is not None and (
            not _is_int(line.amount_fen) or not 0 < line.amount_fen <= MAX_SALE_FEN
        ):
            raise ValidationFailed(
                _("Enter an amount above zero."), code="invalid_amount", details=details
            )


def _check_payments(payments: Sequence[ExternalPayment]) -> None:
    if len(payments) > MAX_PAYMENTS:
        raise ValidationFailed(
            _("At most %(n)s external payments.") % {"n": MAX_PAYMENTS}, code="too_many_payments"
        )
    for payment in payments:
        _check_method(payment.method, field="payments")
        if not _is_int(payment.amount_fen) or not 0 < payment.amount_fen <= MAX_SALE_FEN:
            raise ValidationFailed(
                _("Enter an amount above zero."), code="invalid_amount", field="payments"
            )


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
    return pricing.MemberSnapshot(
        member_id=member.pk if member else None,
        tier=tier_terms(tier),
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
) -> tuple[dict[tuple[str, ...], int], dict[str, Any]]:
    """Points per eligible category by the earn rules in effect, and the explanation.

    The daily cap counts what the earlier categories of this sale earned; a rule's cap per
    sale covers the whole sale."""
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


def _reason(reason: pricing.Reason) -> dict[str, Any]:
    return {"code": reason.code, "params": dict(reason.params)}


def _line_rows(
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
                    "reason": _reason(a.reason),
                }
                for a in line.adjustments
            ],
            components=[dataclasses.asdict(c) for c in line.components],
            notes=[_reason(n) for n in line.notes] + extra_notes.get(line.line_id, []),
        )
        for position, line in enumerate(priced.lines, start=1)
    ]


def _external_payments(
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


def _participant_notes(
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


def _note_dict(note: hooks.Note) -> dict[str, Any]:
    return {
        "code": note.code,
        "params": {**note.params, "message": str(note.message), "line_id": note.line_id},
    }


# --------------------------------------------------------------------------- the core


@dataclass(frozen=True)
class _Request:
    card_id: int | None
    points: int
    balance_fen: int
    payments: tuple[ExternalPayment, ...] | None  # None: ``rest_method`` pays the rest
    rest_method: str
    lines: Callable[[dt.datetime], tuple[pricing.Line, ...]]
    quoted: dict[int, int]  # line id → unit price the quote showed
    quick_category: str | None = None  # a quick sale's category (earn rules match on it)
    associate_id: int | None = None
    enrol: EnrolRequest | None = None
    enrolled: tuple[int | None, bool] | None = None  # (member id, registered now)
    coupon_codes: tuple[str, ...] = ()
    offline_at: dt.datetime | None = None


def _member_checks(actor: Actor, lock: CardLock, request: _Request, now: dt.datetime) -> None:
    scope_require(actor, ScopeOp.SPEND, home_store_id=lock.card.store_id)
    card_require_usable(lock.card, now=now)
    member = lock.member
    if member is not None:
        if member.status != Member.Status.ACTIVE:
            raise Conflict(_("The member is not active."), code="member_not_active")
        if member.spend_frozen and (request.balance_fen or request.points):
            raise Conflict(_("Spending is frozen for this member."), code="member_spend_frozen")


def _price_changes(
    lines: tuple[pricing.Line, ...], quoted: dict[int, int]
) -> dict[int, list[dict[str, Any]]]:
    changes: dict[int, list[dict[str, Any]]] = {}
    for line in lines:
        was = quoted.get(line.line_id)
        if was is not None and was != line.unit_price_fen:
            changes[line.line_id] = [
                {
                    "code": "price.changed",
                    "params": {"quoted_fen": was, "price_fen": line.unit_price_fen},
                }
            ]
    return changes


def _methods(request: _Request) -> set[str]:
    return {p.method for p in request.payments or ()} | (
        {request.rest_method} if request.rest_method else set()
    )


def _walk_in_payable(lines: tuple[pricing.Line, ...], store_id: int, now: dt.datetime) -> int:
    config = sale_config(now, with_tiers=False)
    return price(
        lines, store_id=store_id, now=now, member=None, config=config, points=0, balance_fen=0
    ).payable_fen


def _enrolled(actor: Actor, store_id: int, request: _Request, now: dt.datetime) -> _Request:
    """A walk-in customer who gave a mobile: joined by the policy (or the cashier), the sale
    goes on their card, with the joining fee as a line (see ``joining``)."""
    assert request.enrol is not None
    policy = joining.joining_policy()
    lines = request.lines(now)
    due = joining.is_due(
        policy,
        explicit=request.enrol.explicit,
        walk_in_payable_fen=(
            _walk_in_payable(lines, store_id, now)
            if policy.mode == policy.Mode.SPEND_THRESHOLD and not request.enrol.explicit
            else 0
        ),
        methods=_methods(request),
    )
    if not due:
        return request
    enrolment = joining.enrol(actor=actor, store_id=store_id, enrol=request.enrol, policy=policy)
    if enrolment.card_id is None:
        return request
    if enrolment.fee_fen:
        lines = (*lines, joining.fee_line(enrolment.fee_fen, len(lines) + 1))
    return dataclasses.replace(
        request,
        card_id=enrolment.card_id,
        lines=lambda _now: lines,
        enrolled=(enrolment.member_id, enrolment.is_new),
    )


def _priced_at(request: _Request, now: dt.datetime) -> dt.datetime:
    """When the basket is priced: now, or — for a sale made offline, when the chain's
    ``OFFLINE_PRICES`` is ``original`` — the moment it was made."""
    if request.offline_at is not None and settings.OFFLINE_PRICES == "original":
        return min(request.offline_at, now)
    return now


def _complete(actor: Actor, store_id: int, request: _Request) -> Sale:
    """Everything a sale does, in the caller's transaction (see the module docstring)."""
    now = timezone.now()
    store = store_for_receipt(store_id)
    if request.card_id is None and request.enrol is not None:
        request = _enrolled(actor, store.pk, request, now)
    lock = card_lock(request.card_id, tier=True, touch=now) if request.card_id else None
    if lock is not None:
        _member_checks(actor, lock, request, now)
    member = lock.member if lock else None
    config = sale_config(now, with_tiers=member is not None)
    tier = tier_services.tier_of(lock.tier_state, config.tiers) if lock and member else None
    priced_at = _priced_at(request, now)
    lines = request.lines(priced_at)
    lots: dict[int, list[Lot]] = {}
    snapshot = None
    if lock is not None:
        if request.points or request.balance_fen:
            lots = ledger.spendable_lots_of([lock.bonus.pk, lock.points.pk], now)
        snapshot = member_snapshot(
            member=member, tier=tier, accounts=lock.accounts, lots=lots, now=now
        )
    coupons = coupon_seam.chosen(
        request.coupon_codes, member_id=member.pk if member else None, now=now, lock=True
    )
    priced = price(
        lines,
        store_id=store.pk,
        now=priced_at,
        member=snapshot,
        config=config,
        points=request.points,
        balance_fen=request.balance_fen,
        coupons=coupons,
    )
    payments = _external_payments(priced.external_fen, request.payments, request.rest_method)
    price_notes = _price_changes(lines, request.quoted)
    participant_notes = _participant_notes(
        priced, store_id=store.pk, lock=lock, now=now, completing=True
    )

    operation = None
    earned_by_line: dict[int, int] = {}
    explanation: dict[str, Any] = no_points("no_card").as_dict()
    if lock is not None:
        earned, explanation = earn_points(
            priced=priced,
            card=lock.card,
            member=member,
            tier=tier,
            store_id=store.pk,
            now=now,
            quick_category=request.quick_category,
        )
        earned_by_line = pricing.allocate_earned_points(priced, earned)
        sales_account = ledger.store_account(Account.Kind.STORE_SALES, store.pk)
        moves = [
            ledger.Move(
                kind="spend",
                source=lock.principal,
                target=sales_account,
                amount=priced.principal_fen,
            ),
            ledger.Move(
                kind="spend_bonus", source=lock.bonus, target=sales_account, amount=priced.bonus_fen
            ),
            ledger.Move(
                kind="redeem",
                source=lock.points,
                target=ledger.store_account(Account.Kind.STORE_POINTS_REDEEMED, store.pk),
                amount=priced.points_used,
            ),
            ledger.Move(
                kind="earn",
                source=ledger.store_account(Account.Kind.STORE_POINTS_ISSUED, store.pk),
                target=lock.points,
                amount=sum(earned_by_line.values()),
                expires_at=points_services.points_expires_at(now, config.points_policy),
                lot_store_id=store.pk,
                matures_at=points_services.points_matures_at(now, config.points_policy),
            ),
        ]
        if any(m.amount > 0 for m in moves):
            operation = ledger.operation_post(
                actor=actor,
                kind="sale",
                moves=moves,
                member_id=member.pk if member else None,
                card_id=lock.card.pk,
                store_id=store.pk,
                now=now,
                details={"amount": priced.list_fen, "payable": priced.payable_fen},
                locked=lock.accounts,
                lots=lots,
            ).operation
    methods = {p["method"] for p in payments}
    notes = [_reason(n) for n in priced.notes]
    if price_notes:
        notes.append({"code": "price.changed", "params": {"lines": len(price_notes)}})
    notes.extend(_note_dict(n) for n in participant_notes)
    if request.enrolled is not None:
        notes.append({"code": "member.enrolled", "params": {"new": request.enrolled[1]}})
    if request.offline_at is not None:
        notes.append(
            {"code": "sale.offline", "params": {"occurred_at": request.offline_at.isoformat()}}
        )
    points_earned = sum(earned_by_line.values())
    sale = sale_create(
        store=store,
        now=now,
        member=member,
        card=lock.card if lock else None,
        operator=actor.staff,
        associate_id=request.associate_id,
        category=request.quick_category or "",
        amount_fen=priced.list_fen,
        discount_fen=priced.discount_fen,
        payable_fen=priced.payable_fen,
        paid_principal_fen=priced.principal_fen,
        paid_bonus_fen=priced.bonus_fen,
        points_used=priced.points_used,
        points_offset_fen=priced.points_offset_fen,
        paid_external_fen=priced.external_fen,
        external_method=(methods.pop() if len(methods) == 1 else MIXED) if methods else "",
        payments=payments,
        points_earned=points_earned,
        earn_explanation=explanation,
        tier_code=tier.code if tier else "",
        notes=notes,
        operation=operation,
        created_at=now,
    )
    sale_lines = SaleLine.objects.bulk_create(_line_rows(sale, priced, earned_by_line, price_notes))
    audit_record(
        actor=actor,
        action="sale.completed",
        subject_type="sale",
        subject_id=sale.pk,
        member_id=sale.member_id,
        after={
            "number": sale.number,
            "lines": len(priced.lines),
            "payable": priced.payable_fen,
            "principal": priced.principal_fen,
            "bonus": priced.bonus_fen,
            "points_used": priced.points_used,
            "external": priced.external_fen,
            "points_earned": points_earned,
        },
    )
    event_emit(
        "sale.completed",
        payload={
            "sale_id": sale.pk,
            "card_id": sale.card_id,
            "operation_id": sale.operation_id,
            "amount_fen": sale.amount_fen,
            "discount_fen": sale.discount_fen,
            "payable_fen": sale.payable_fen,
            "paid_principal_fen": sale.paid_principal_fen,
            "paid_bonus_fen": sale.paid_bonus_fen,
            "points_used": sale.points_used,
            "points_offset_fen": sale.points_offset_fen,
            "paid_external_fen": sale.paid_external_fen,
            "external_method": sale.external_method,
            "points_earned": sale.points_earned,
        },
        member_id=sale.member_id,
        store_id=sale.store_id,
    )
    if member is not None and lock is not None:  # its last activity was set by the lock
        tier_services.tier_upgrade_if_due(
            actor=actor, member=member, now=now, tiers=config.tiers, state=lock.tier_state
        )
    if hooks.participants():
        hooks.sale_completed(
            hooks.SaleDone(actor=actor, sale=sale, lines=sale_lines, lock=lock, now=now)
        )
    return sale


def _check_associate(associate_id: int | None, store_id: int) -> None:
    """A sales associate named on a sale is active staff who works at the store (or
    chain-wide)."""
    if associate_id is None:
        return
    if not _is_int(associate_id):
        raise ValidationFailed(
            _("Unknown sales associate."), code="associate_not_found", field="associate_id"
        )
    staff = Staff.objects.filter(pk=associate_id, is_active=True).first()
    if staff is None or not (staff.is_chain_wide or store_id in (staff.store_id_set() or ())):
        raise ValidationFailed(
            _("Unknown sales associate."), code="associate_not_found", field="associate_id"
        )


def _acting_store(actor: Actor) -> int:
    require(actor, Perm.SALE_CREATE, store_id=actor.store_id, check_store=True)
    if actor.store_id is None:
        raise ValidationFailed(_("Choose the store you work at."), code="store_required")
    return actor.store_id


def _line_requests(lines: Sequence[SaleLineInput]) -> list[LineRequest]:
    return [
        LineRequest(
            line_id=position,
            product_id=line.product_id,
            code=(line.code or "").strip(),
            quantity_milli=line.quantity_milli,
            amount_fen=line.amount_fen,
        )
        for position, line in enumerate(lines, start=1)
    ]


def _basket_request(data: BasketSaleInput, store_id: int) -> _Request:
    requests = _line_requests(data.lines)
    return _Request(
        card_id=data.card_id,
        points=data.points,
        balance_fen=data.balance_fen,
        payments=tuple(data.payments),
        rest_method="",
        lines=lambda now: pricing_lines_for(requests, store_id=store_id, at=now),
        quoted={
            position: line.quoted_unit_price_fen
            for position, line in enumerate(data.lines, start=1)
            if line.quoted_unit_price_fen is not None
        },
        associate_id=data.associate_id,
        enrol=data.enrol,
        coupon_codes=data.coupon_codes,
        offline_at=data.offline_at,
    )


def _basket_payload(data: BasketSaleInput) -> dict[str, Any]:
    return {
        "card_id": data.card_id,
        "lines": [
            [line.product_id, (line.code or "").strip(), line.quantity_milli, line.amount_fen]
            for line in data.lines
        ],
        "balance": data.balance_fen,
        "points": data.points,
        "payments": [[p.method, p.amount_fen] for p in data.payments],
        "associate": data.associate_id,
        "enrol": [data.enrol.mobile, data.enrol.name, data.enrol.explicit] if data.enrol else None,
        "coupons": list(data.coupon_codes),
        "offline_at": data.offline_at.isoformat() if data.offline_at else None,
    }


def _check_enrol(data: BasketSaleInput) -> BasketSaleInput:
    if data.enrol is None:
        return data
    if data.card_id is not None:
        raise ValidationFailed(
            _("A sale on a card needs no enrolment."), code="enrol_with_card", field="enrol"
        )
    return dataclasses.replace(data, enrol=joining.clean_enrol(data.enrol))


def sale_complete(*, actor: Actor, data: BasketSaleInput, idempotency_key: str) -> Sale:
    """Complete a basket sale at the actor's store: lines at the prices in force now, the
    member's tier, the promotions in force, points offset, stored value and the external
    payments (which must cover the rest exactly). Once per idempotency key."""
    store_id = _acting_store(actor)
    _check_lines(data.lines)
    _check_payment_request(data.card_id, data.balance_fen, data.points)
    _check_payments(data.payments)
    _check_associate(data.associate_id, store_id)
    data = _check_enrol(data)
    data = dataclasses.replace(data, coupon_codes=coupon_seam.clean_codes(data.coupon_codes))
    request = _basket_request(data, store_id)
    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="sale",
        payload=_basket_payload(data),
        perform=lambda: _complete(actor, store_id, request),
        load=sale_load,
        store_id=store_id,
    )


def quick_line(amount_fen: int, category: str) -> pricing.Line:
    """A quick consumption as the engine's basket of one line: one unit at the amount, in
    the category (as a category code) that was typed or picked."""
    return pricing.Line(
        line_id=1,
        product_id=QUICK_PRODUCT_ID,
        sku="",
        unit_price_fen=amount_fen,
        quantity_milli=MILLI,
        category_path=(category,) if category else (),
        category_names=(category,) if category else (),
        name=category,
    )


def sale_quick(*, actor: Actor, data: QuickSaleInput, idempotency_key: str) -> Sale:
    """Record a quick consumption (快速消费) at the actor's store: the one sale path with a
    basket of one amount-only line.

    Everything is decided under the card's lock (member → card → accounts → tier state):
    card status and expiry, member status and freezes, balances and lots.
    """
    store_id = _acting_store(actor)
    if not _is_int(data.amount_fen) or not 0 < data.amount_fen <= MAX_SALE_FEN:
        raise ValidationFailed(
            _("Enter an amount above zero."), code="invalid_amount", field="amount"
        )
    _check_payment_request(data.card_id, data.balance_fen, data.points)
    if data.external_method:
        _check_method(data.external_method)
    _check_associate(data.associate_id, store_id)
    category = (data.category or "").strip()[:40]
    line = quick_line(data.amount_fen, category)
    request = _Request(
        card_id=data.card_id,
        points=data.points,
        balance_fen=data.balance_fen,
        payments=None,
        rest_method=data.external_method,
        lines=lambda now: (line,),
        quoted={},
        quick_category=category,
        associate_id=data.associate_id,
    )
    payload = {
        "card_id": data.card_id,
        "amount": data.amount_fen,
        "category": category,
        "balance": data.balance_fen,
        "points": data.points,
        "method": data.external_method,
        "associate": data.associate_id,
    }
    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="sale",
        payload=payload,
        perform=lambda: _complete(actor, store_id, request),
        load=sale_load,
        store_id=store_id,
    )


# ----------------------------------------------------------------------------- quotes


@dataclass(frozen=True)
class BasketQuote:
    """What a basket comes to, priced exactly as ``sale_complete`` would price it now."""

    priced: pricing.PricedBasket
    tier_code: str
    points_available: int
    balance_available_fen: int
    price_changes: dict[int, list[dict[str, Any]]]  # line id → notes
    points_per_yuan: int
    participant_notes: tuple[hooks.Note, ...] = ()  # stock, count cards… (hooks)
    joining: str = ""  # a walk-in customer joins: "new", "existing" (has a card), "new_card"
    coupons: coupon_seam.CouponQuote | None = None  # the member's coupons and the proposal


def _unlocked_card(card_id: int) -> tuple[Card, MemberTier | None]:
    card = Card.objects.select_related("member").filter(pk=card_id).first()
    if card is None:
        from huiyuan.core.errors import NotFound

        raise NotFound(_("Card not found."), code="card_not_found")
    state = (
        MemberTier.objects.select_related("tier").filter(member_id=card.member_id).first()
        if card.member_id
        else None
    )
    return card, state


def sale_quote_basket(*, actor: Actor, data: BasketSaleInput) -> BasketQuote:
    """Price a basket without writing anything: the same engine, the same inputs as the
    sale (read without locks), so the quote equals the sale made right after it."""
    store_id = _acting_store(actor)
    _check_lines(data.lines)
    _check_payment_request(data.card_id, data.balance_fen, data.points)
    data = _check_enrol(data)
    data = dataclasses.replace(data, coupon_codes=coupon_seam.clean_codes(data.coupon_codes))
    now = timezone.now()
    request = _basket_request(data, store_id)
    snapshot, tier = None, None
    member = None
    joins, extra_lines = _quote_joining(request, store_id, now)
    if joins == "existing":
        member_card = joining.existing_card(data.enrol.mobile if data.enrol else "")[1]
        data = dataclasses.replace(data, card_id=member_card.pk if member_card else None)
    if data.card_id is not None:
        card, state = _unlocked_card(data.card_id)
        scope_require(actor, ScopeOp.SPEND, home_store_id=card.store_id)
        card_require_usable(card, now=now)
        member = card.member
        if member is not None and member.status != Member.Status.ACTIVE:
            raise Conflict(_("The member is not active."), code="member_not_active")
    config = sale_config(now, with_tiers=member is not None)
    if data.card_id is not None:
        tier = tier_services.tier_of(state, config.tiers) if member is not None else None
        accounts = ledger.card_accounts(card.pk)
        lots = ledger.spendable_lots_of(
            [accounts[Account.Kind.BONUS].pk, accounts[Account.Kind.POINTS].pk], now
        )
        snapshot = member_snapshot(member=member, tier=tier, accounts=accounts, lots=lots, now=now)
    elif joins:  # a new member (or one without a card): the lowest tier, nothing to spend
        config = sale_config(now, with_tiers=True)
        tier = tier_services.tier_of(None, config.tiers)
        snapshot = pricing.MemberSnapshot(tier=tier_terms(tier))
    lines = (*request.lines(now), *extra_lines)
    chosen_coupons = coupon_seam.chosen(
        data.coupon_codes, member_id=member.pk if member else None, now=now, lock=False
    )
    priced = price(
        lines,
        store_id=store_id,
        now=now,
        member=snapshot,
        config=config,
        points=data.points,
        balance_fen=data.balance_fen,
        coupons=chosen_coupons,
    )
    return BasketQuote(
        priced=priced,
        tier_code=tier.code if tier else "",
        points_available=snapshot.points_available if snapshot else 0,
        balance_available_fen=(
            snapshot.principal_available + snapshot.bonus_available if snapshot else 0
        ),
        price_changes=_price_changes(lines, request.quoted),
        points_per_yuan=config.points_policy.points_per_yuan,
        participant_notes=tuple(
            _participant_notes(
                priced,
                store_id=store_id,
                lock=None,
                now=now,
                completing=False,
                member_id=member.pk if member else None,
                card_id=data.card_id,
            )
        ),
        joining=joins,
        coupons=coupon_seam.quote(
            lines,
            store_id=store_id,
            now=now,
            member=snapshot,
            member_id=member.pk if member else None,
            chosen_terms=chosen_coupons,
            has_promotions=config.has_promotions,
        ),
    )


def _quote_joining(
    request: _Request, store_id: int, now: dt.datetime
) -> tuple[str, tuple[pricing.Line, ...]]:
    """What enrolment a walk-in customer's mobile leads to, as the sale would decide it:
    "" (none), "new" (registered by the sale, with the fee line) or "existing"."""
    if request.card_id is not None or request.enrol is None:
        return "", ()
    policy = joining.joining_policy()
    member, card = joining.existing_card(request.enrol.mobile)
    if member is not None and member.status != Member.Status.ACTIVE:
        return "", ()
    lines = request.lines(now)
    due = joining.is_due(
        policy,
        explicit=request.enrol.explicit,
        walk_in_payable_fen=(
            _walk_in_payable(lines, store_id, now)
            if policy.mode == policy.Mode.SPEND_THRESHOLD and not request.enrol.explicit
            else 0
        ),
        methods=_methods(request),
    )
    if not due:
        return "", ()
    if member is not None:
        return ("existing" if card is not None else "new_card"), ()
    fee = (joining.fee_line(policy.fee_fen, len(lines) + 1),) if policy.fee_fen else ()
    return "new", fee
