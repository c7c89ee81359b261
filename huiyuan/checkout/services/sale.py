"""One sale path (S1): a basket — or a quick amount, a basket of one line — priced by the
pricing engine, paid, earned and posted in one transaction.

``sale_complete`` runs as an idempotent command (``command_run``). Inside, in this order:
the card's lock (member → card → accounts → tier state) and every status decided under it;
the configuration in one query (tiers with the points and wallet policies, and whether a
promotion is in force); the lines at the prices in force at completion
(``catalog.selectors.pricing_lines_for``); the promotions in force; ``pricing.price_basket``;
points per eligible category by the earn rules, shared out to the lines; ONE ledger
operation; the sale and its lines (one INSERT each); audit, outbox event, tier upgrade;
then the sale's participants (``checkout.hooks``: stock, count cards, commission, coupons).

What the sale is asked is checked in ``inputs``; the engine is called through
``sale_pricing`` (shared with the quote); ``basket_quote.sale_quote_basket`` prices the
same basket the same way without writing anything, so the quote equals the sale. A price that changed between the quote and the payment is the one
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
from huiyuan.cards.services import card_require_usable
from huiyuan.catalog.selectors import LineRequest, pricing_lines_for
from huiyuan.checkout import hooks
from huiyuan.checkout.models import Sale, SaleLine
from huiyuan.checkout.services import coupon_seam, joining
from huiyuan.checkout.services.common import (
    MAX_SALE_FEN,
    sale_config,
    sale_create,
    sale_load,
    store_for_receipt,
)
from huiyuan.checkout.services.inputs import (
    MIXED,
    QUICK_PRODUCT_ID,
    BasketSaleInput,
    ExternalPayment,
    QuickSaleInput,
    SaleLineInput,
    check_lines,
    check_method,
    check_payment_request,
    check_payments,
    is_int,
)
from huiyuan.checkout.services.joining import EnrolRequest
from huiyuan.checkout.services.sale_pricing import (
    earn_points,
    external_payments,
    line_rows,
    member_snapshot,
    note_dict,
    notes_of_participants,
    price,
    reason_dict,
)
from huiyuan.core.errors import Conflict, DomainError, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account, Lot
from huiyuan.members.models import Member
from huiyuan.points import services as points_services
from huiyuan.points.rules import no_points
from huiyuan.pricing.inputs import MILLI
from huiyuan.stores.models import Staff
from huiyuan.stores.scope import ScopeOp, scope_require
from huiyuan.tiers import services as tier_services

# --------------------------------------------------------------------------- the core


@dataclass(frozen=True)
class SaleRequest:
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
    pin: str = ""  # the payment PIN, for the participant that asks for it (never stored)


def _member_checks(actor: Actor, lock: CardLock, request: SaleRequest, now: dt.datetime) -> None:
    scope_require(actor, ScopeOp.SPEND, home_store_id=lock.card.store_id)
    card_require_usable(lock.card, now=now)
    member = lock.member
    if member is not None:
        if member.status != Member.Status.ACTIVE:
            raise Conflict(_("The member is not active."), code="member_not_active")
        if member.spend_frozen and (request.balance_fen or request.points):
            raise Conflict(_("Spending is frozen for this member."), code="member_spend_frozen")


def price_changes(
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


def request_methods(request: SaleRequest) -> set[str]:
    return {p.method for p in request.payments or ()} | (
        {request.rest_method} if request.rest_method else set()
    )


def walk_in_payable(lines: tuple[pricing.Line, ...], store_id: int, now: dt.datetime) -> int:
    config = sale_config(now, with_tiers=False)
    return price(
        lines, store_id=store_id, now=now, member=None, config=config, points=0, balance_fen=0
    ).payable_fen


def _enrolled(actor: Actor, store_id: int, request: SaleRequest, now: dt.datetime) -> SaleRequest:
    """A walk-in customer who gave a mobile: joined by the policy (or the cashier), the sale
    goes on their card, with the joining fee as a line (see ``joining``)."""
    assert request.enrol is not None
    policy = joining.joining_policy()
    lines = request.lines(now)
    due = joining.is_due(
        policy,
        explicit=request.enrol.explicit,
        walk_in_payable_fen=(
            walk_in_payable(lines, store_id, now)
            if policy.mode == policy.Mode.SPEND_THRESHOLD and not request.enrol.explicit
            else 0
        ),
        methods=request_methods(request),
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


def _priced_at(request: SaleRequest, now: dt.datetime) -> dt.datetime:
    """When the basket is priced: now, or — for a sale made offline, when the chain's
    ``OFFLINE_PRICES`` is ``original`` — the moment it was made."""
    if request.offline_at is not None and settings.OFFLINE_PRICES == "original":
        return min(request.offline_at, now)
    return now


def _complete(actor: Actor, store_id: int, request: SaleRequest) -> Sale:
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
    payments = external_payments(priced.external_fen, request.payments, request.rest_method)
    price_notes = price_changes(lines, request.quoted)
    participant_notes = notes_of_participants(
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
            benefit=snapshot.benefit if snapshot else None,
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
    notes = [reason_dict(n) for n in priced.notes]
    if price_notes:
        notes.append({"code": "price.changed", "params": {"lines": len(price_notes)}})
    notes.extend(note_dict(n) for n in participant_notes)
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
    sale_lines = SaleLine.objects.bulk_create(line_rows(sale, priced, earned_by_line, price_notes))
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
            hooks.SaleDone(
                actor=actor, sale=sale, lines=sale_lines, lock=lock, now=now, pin=request.pin
            )
        )
    return sale


def _check_associate(associate_id: int | None, store_id: int) -> None:
    """A sales associate named on a sale is active staff who works at the store (or
    chain-wide)."""
    if associate_id is None:
        return
    if not is_int(associate_id):
        raise ValidationFailed(
            _("Unknown sales associate."), code="associate_not_found", field="associate_id"
        )
    staff = Staff.objects.filter(pk=associate_id, is_active=True).first()
    if staff is None or not (staff.is_chain_wide or store_id in (staff.store_id_set() or ())):
        raise ValidationFailed(
            _("Unknown sales associate."), code="associate_not_found", field="associate_id"
        )


def acting_store(actor: Actor) -> int:
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


def basket_request(data: BasketSaleInput, store_id: int) -> SaleRequest:
    requests = _line_requests(data.lines)
    return SaleRequest(
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
        pin=data.pin,
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


def check_enrol(data: BasketSaleInput) -> BasketSaleInput:
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
    store_id = acting_store(actor)
    check_lines(data.lines)
    check_payment_request(data.card_id, data.balance_fen, data.points)
    check_payments(data.payments)
    _check_associate(data.associate_id, store_id)
    data = check_enrol(data)
    data = dataclasses.replace(data, coupon_codes=coupon_seam.clean_codes(data.coupon_codes))
    request = basket_request(data, store_id)
    return _run_sale(
        actor,
        data.card_id,
        lambda: command_run(
            actor=actor,
            key=idempotency_key,
            kind="sale",
            payload=_basket_payload(data),
            perform=lambda: _complete(actor, store_id, request),
            load=sale_load,
            store_id=store_id,
        ),
    )


def _run_sale(actor: Actor, card_id: int | None, run: Callable[[], Sale]) -> Sale:
    """Run a sale; on a refusal, after the rollback, tell the participants (hooks)."""
    try:
        return run()
    except DomainError as error:
        if hooks.participants():
            hooks.sale_refused(hooks.SaleRefused(actor=actor, card_id=card_id, error=error))
        raise


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
    store_id = acting_store(actor)
    if not is_int(data.amount_fen) or not 0 < data.amount_fen <= MAX_SALE_FEN:
        raise ValidationFailed(
            _("Enter an amount above zero."), code="invalid_amount", field="amount"
        )
    check_payment_request(data.card_id, data.balance_fen, data.points)
    if data.external_method:
        check_method(data.external_method)
    _check_associate(data.associate_id, store_id)
    category = (data.category or "").strip()[:40]
    line = quick_line(data.amount_fen, category)
    request = SaleRequest(
        card_id=data.card_id,
        points=data.points,
        balance_fen=data.balance_fen,
        payments=None,
        rest_method=data.external_method,
        lines=lambda now: (line,),
        quoted={},
        quick_category=category,
        associate_id=data.associate_id,
        pin=data.pin,
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
    return _run_sale(
        actor,
        data.card_id,
        lambda: command_run(
            actor=actor,
            key=idempotency_key,
            kind="sale",
            payload=payload,
            perform=lambda: _complete(actor, store_id, request),
            load=sale_load,
            store_id=store_id,
        ),
    )
