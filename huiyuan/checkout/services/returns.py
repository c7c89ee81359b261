"""Returns (退货, S2): give back exactly what the returned part of a sale's lines took.

Under the card's lock and the sale's row lock, per line ``pricing.line_refund`` gives what
returning ``q`` more of it hands back — discount, points offset, points used, principal,
bonus, external, points earned — by cumulative rounding, so any sequence of returns adds
up to the line exactly. Then ONE ledger operation:

- principal goes back to the card;
- bonus and the points that paid go back to the very lots the sale took them from, in the
  order it took them (less what earlier returns of the sale gave back to each);
- the points the returned part earned are taken back, from the lot the sale opened first;
  what the member already spent cannot be taken back: it is charged at the points policy's
  rate instead, from the external refund first, then from principal — never a negative
  balance (docs/money-rules.md, "Returns").

The external refund is handed back over the counter in the methods the sale was paid with,
in the order they were recorded. A cashier without ``sale.reverse`` may return with a
manager's authorisation entered at the counter (username + password, checked by Django's
``authenticate`` before anything is written), recorded in the audit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan import pricing
from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import CardLock, card_lock
from huiyuan.cards.models import Card
from huiyuan.checkout import hooks
from huiyuan.checkout.models import Sale, SaleLine, SaleReturn, SaleReturnLine
from huiyuan.checkout.services.common import receipt_number, store_for_receipt
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import RetryTransaction
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account, Lot, LotUse, Transfer
from huiyuan.points.models import PointsPolicy
from huiyuan.stores.models import Staff
from huiyuan.stores.scope import ScopeOp, scope_allows, scope_require
from huiyuan.stores.services import ManagerAuthorisation, staff_authoriser
from huiyuan.tiers import services as tier_services

MAX_RETURN_LINES = 200


@dataclass(frozen=True)
class ReturnLineInput:
    sale_line_id: int
    quantity_milli: int


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_lines(lines: Sequence[ReturnLineInput | tuple[int, int]]) -> list[ReturnLineInput]:
    cleaned = [
        line if isinstance(line, ReturnLineInput) else ReturnLineInput(*line) for line in lines
    ]
    if not cleaned:
        raise ValidationFailed(
            _("Choose at least one line to return."), code="lines_required", field="lines"
        )
    if len(cleaned) > MAX_RETURN_LINES:
        raise ValidationFailed(_("Too many lines."), code="too_many_lines", field="lines")
    seen: set[int] = set()
    for line in cleaned:
        if not _is_int(line.sale_line_id) or line.sale_line_id in seen:
            raise ValidationFailed(
                _("Each line may be named once."),
                code="duplicate_line",
                details={"sale_line_id": line.sale_line_id},
            )
        seen.add(line.sale_line_id)
        if not _is_int(line.quantity_milli) or line.quantity_milli <= 0:
            raise ValidationFailed(
                _("Enter a quantity above zero."),
                code="invalid_quantity",
                details={"sale_line_id": line.sale_line_id},
            )
    return cleaned


def manager_authoriser(
    actor: Actor, authorisation: ManagerAuthorisation | None, *, reversal: bool = False
) -> Staff | None:
    """Who authorised a return (or, ``reversal``, a whole sale's reversal): nobody needed
    when the actor may reverse sales; otherwise a manager who may, checked by password
    (outside the transaction, so a failed attempt counts towards the lockout)."""
    if actor.has(Perm.SALE_REVERSE):
        return None
    require(actor, Perm.SALE_CREATE)
    return staff_authoriser(
        authorisation,
        Perm.SALE_REVERSE,
        required=str(
            _("A reversal needs a manager's authorisation: enter their username and password.")
            if reversal
            else _("A return needs a manager's authorisation: enter their username and password.")
        ),
        not_allowed=str(
            _("%(name)s may not authorise reversals.")
            if reversal
            else _("%(name)s may not authorise returns.")
        ),
    )


@dataclass
class _Refund:
    """What one return gives back, summed over its lines."""

    list_fen: int = 0
    discount_fen: int = 0
    points_offset_fen: int = 0
    points_used: int = 0
    principal_fen: int = 0
    bonus_fen: int = 0
    external_fen: int = 0
    points_earned: int = 0

    def add(self, part: pricing.LineAmounts) -> None:
        self.list_fen += part.list_fen
        self.discount_fen += part.discount_fen
        self.points_offset_fen += part.points_offset_fen
        self.points_used += part.points_used
        self.principal_fen += part.principal_fen
        self.bonus_fen += part.bonus_fen
        self.external_fen += part.external_fen
        self.points_earned += part.points_earned

    @property
    def payable_fen(self) -> int:
        return self.points_offset_fen + self.principal_fen + self.bonus_fen + self.external_fen


def _amounts(line: SaleLine) -> pricing.LineAmounts:
    return pricing.LineAmounts(
        quantity_milli=line.quantity_milli,
        list_fen=line.list_fen,
        discount_fen=line.discount_fen,
        points_offset_fen=line.points_offset_fen,
        points_used=line.points_used,
        principal_fen=line.principal_fen,
        bonus_fen=line.bonus_fen,
        external_fen=line.external_fen,
        points_eligible_fen=line.points_eligible_fen,
        points_earned=line.points_earned,
    )


def _restore_plan(
    uses: Sequence[LotUse], restored: dict[int, int], amount: int
) -> list[tuple[Lot, int]]:
    """Give ``amount`` back to the lots the sale took it from, in the order it took them,
    each up to what it gave less what earlier returns gave back to it."""
    plan: list[tuple[Lot, int]] = []
    left = amount
    for use in uses:
        if left == 0:
            break
        room = use.amount - restored.get(use.lot_id, 0)
        give = min(room, left)
        if give > 0:
            plan.append((use.lot, give))
            restored[use.lot_id] = restored.get(use.lot_id, 0) + give
            left -= give
    if left:
        raise RuntimeError("the sale's lot uses do not cover the refund")  # an invariant
    return plan


@dataclass
class _Posted:
    operation_id: int | None = None
    points_taken_back: int = 0
    points_unrecovered: int = 0
    deduction_fen: int = 0
    principal_fen: int = 0
    external_fen: int = 0


def _post(
    *,
    actor: Actor,
    sale: Sale,
    lock: CardLock,
    refund: _Refund,
    reason: str,
    now: dt.datetime,
) -> _Posted:
    """The return's one ledger operation; the external and principal refunds after any
    charge for earned points already spent."""
    assert sale.operation_id is not None
    transfers = list(
        Transfer.objects.filter(operation_id=sale.operation_id)
        .prefetch_related("lot_uses__lot", "lots")
        .order_by("pk")
    )
    by_kind = {t.kind: t for t in transfers}
    earlier = list(sale.returns.exclude(operation=None).values_list("operation_id", flat=True))
    restored: dict[int, dict[int, int]] = defaultdict(dict)  # account id → lot id → amount
    if earlier:
        rows = (
            LotUse.objects.filter(transfer__operation_id__in=earlier, amount__lt=0)
            .values("lot_id", "lot__account_id")
            .annotate(total=Sum("amount"))
        )
        for row in rows:
            restored[row["lot__account_id"]][row["lot_id"]] = -row["total"]

    def uses_of(kind: str) -> list[LotUse]:
        transfer = by_kind.get(kind)
        if transfer is None:
            return []
        return sorted((u for u in transfer.lot_uses.all() if u.amount > 0), key=lambda u: u.pk)

    points = lock.points
    lots = ledger.spendable_lots_of([points.pk], now)
    bonus_back = _restore_plan(uses_of("spend_bonus"), restored[lock.bonus.pk], refund.bonus_fen)
    points_back = _restore_plan(uses_of("redeem"), restored[points.pk], refund.points_used)
    # What can be taken back of the points earned: the points spendable after this
    # operation has given back the points that paid.
    spendable = {lot.pk: lot.remaining for lot in lots[points.pk]}
    for lot, amount in points_back:
        if lot.pk in spendable:
            spendable[lot.pk] += amount
    earn = by_kind.get("earn")
    # Points the sale earned that are still pending (P1): taken back from their own lot,
    # before anything spendable is touched.
    for lot in earn.lots.all() if earn else ():
        if lot.is_pending(now) and lot.remaining > 0:
            spendable[lot.pk] = lot.remaining
    taken = min(refund.points_earned, sum(spendable.values()))
    unrecovered = refund.points_earned - taken
    policy = PointsPolicy.current()
    charge = -(-unrecovered * 100 // policy.points_per_yuan)  # their value, rounded up
    from_external = min(charge, refund.external_fen)
    from_principal = min(charge - from_external, refund.principal_fen)
    posted = _Posted(
        points_taken_back=taken,
        points_unrecovered=unrecovered,
        deduction_fen=from_external + from_principal,
        principal_fen=refund.principal_fen - from_principal,
        external_fen=refund.external_fen - from_external,
    )
    store_id = sale.store_id
    sales_account = ledger.store_account(Account.Kind.STORE_SALES, store_id)
    earn_lots = [
        (lot, lot.amount) for lot in (earn.lots.all() if earn else ()) if lot.pk in spendable
    ]
    moves = [
        ledger.Move(
            kind="return_spend",
            source=sales_account,
            target=lock.principal,
            amount=posted.principal_fen,
        ),
        ledger.Move(
            kind="return_spend_bonus",
            source=sales_account,
            target=lock.bonus,
            amount=refund.bonus_fen,
            restore_lots=bonus_back,
        ),
        ledger.Move(
            kind="return_redeem",
            source=ledger.store_account(Account.Kind.STORE_POINTS_REDEEMED, store_id),
            target=points,
            amount=refund.points_used,
            restore_lots=points_back,
        ),
        ledger.Move(
            kind="return_earn",
            source=points,
            target=ledger.store_account(Account.Kind.STORE_POINTS_ISSUED, store_id),
            amount=taken,
            take_lots=earn_lots,
        ),
    ]
    if any(m.amount > 0 for m in moves):
        posted.operation_id = ledger.operation_post(
            actor=actor,
            kind="sale_return",
            moves=moves,
            member_id=sale.member_id,
            card_id=sale.card_id,
            store_id=store_id,
            memo=reason,
            details={"sale": sale.pk, "deduction_fen": posted.deduction_fen},
            now=now,
            locked=lock.accounts,
            lots=lots,
        ).operation.pk
    return posted


def _refund_payments(sale: Sale, amount: int) -> list[dict[str, Any]]:
    """The external refund in the sale's external methods, in the order they were paid,
    each up to what it paid less what earlier returns handed back in it."""
    handed: dict[str, int] = defaultdict(int)
    for earlier in sale.returns.values_list("refund_payments", flat=True):
        for part in earlier or ():
            handed[part["method"]] += part["amount_fen"]
    result = []
    left = amount
    for payment in sale.payments or (
        [{"method": sale.external_method, "amount_fen": sale.paid_external_fen}]
        if sale.paid_external_fen
        else []
    ):
        room = payment["amount_fen"] - handed[payment["method"]]
        handed[payment["method"]] = max(0, -room)  # a method listed twice
        give = min(max(room, 0), left)
        if give:
            result.append({"method": payment["method"], "amount_fen": give})
            left -= give
    if left:  # cannot happen: the line refunds never exceed what the sale took
        result.append({"method": sale.external_method or "cash", "amount_fen": left})
    return result


def _return_create(sale: Sale, now: dt.datetime, **fields: Any) -> SaleReturn:
    store = store_for_receipt(sale.store_id)
    try:
        with transaction.atomic():
            return SaleReturn.objects.create(
                sale=sale,
                number=receipt_number(store, now, prefix="R"),
                store_id=sale.store_id,
                created_at=now,
                **fields,
            )
    except IntegrityError as exc:
        raise RetryTransaction() from exc


def _return_load(return_id: int) -> SaleReturn:
    return SaleReturn.objects.select_related("sale", "authorised_by", "operator").get(pk=return_id)


def sale_return(
    *,
    actor: Actor,
    sale_id: int,
    lines: Sequence[ReturnLineInput | tuple[int, int]],
    reason: str,
    idempotency_key: str,
    authorised_by: ManagerAuthorisation | tuple[str, str] | None = None,
) -> SaleReturn:
    """Return ``quantity_milli`` of each named line of a sale; see the module docstring."""
    requested = _clean_lines(lines)
    reason = (reason or "").strip()[:200]
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")
    if isinstance(authorised_by, tuple):
        authorised_by = ManagerAuthorisation(*authorised_by)
    authoriser = manager_authoriser(actor, authorised_by)

    def perform() -> SaleReturn:
        peek = Sale.objects.filter(pk=sale_id).values_list("card_id", flat=True).first()
        if peek is None and not Sale.objects.filter(pk=sale_id).exists():
            raise NotFound(_("Sale not found."), code="sale_not_found")
        lock = card_lock(peek, tier=True) if peek is not None else None
        sale = Sale.objects.select_for_update().get(pk=sale_id)
        if sale.card_id != peek:
            raise RetryTransaction()  # supplemented meanwhile: lock the card it has now
        scope_require(actor, ScopeOp.SALE_REVERSE, home_store_id=sale.store_id)
        if authoriser is not None and not scope_allows(
            authoriser.as_actor(), ScopeOp.SALE_REVERSE, home_store_id=sale.store_id
        ):
            raise PermissionDenied(
                _("%(name)s may not authorise returns at this store.")
                % {"name": authoriser.display_name},
                code="authoriser_not_allowed",
            )
        if sale.status == Sale.Status.REVERSED:
            raise Conflict(_("This sale has already been reversed."), code="already_reversed")
        if lock is not None and lock.card.status == Card.Status.VOID:
            raise Conflict(
                _("The card of this sale was reissued; return it by hand on the new card."),
                code="card_reissued",
            )
        all_lines = {line.pk: line for line in SaleLine.objects.filter(sale=sale)}
        refund = _Refund()
        parts: list[tuple[SaleLine, pricing.LineAmounts]] = []
        for item in requested:
            line = all_lines.get(item.sale_line_id)
            if line is None:
                raise NotFound(
                    _("This sale has no such line."),
                    code="sale_line_not_found",
                    details={"sale_line_id": item.sale_line_id},
                )
            if item.quantity_milli > line.returnable_milli:
                raise Conflict(
                    _("Only %(left)s of “%(name)s” can still be returned.")
                    % {"left": _quantity(line.returnable_milli, line.unit), "name": line.name},
                    code="return_exceeds_sold",
                    details={
                        "sale_line_id": line.pk,
                        "sold_milli": line.quantity_milli,
                        "returned_milli": line.returned_milli,
                        "returning_milli": item.quantity_milli,
                    },
                )
            part = pricing.line_refund(
                _amounts(line),
                returned_before_milli=line.returned_milli,
                returning_milli=item.quantity_milli,
            )
            refund.add(part)
            parts.append((line, part))
        now = timezone.now()
        posted = (
            _post(actor=actor, sale=sale, lock=lock, refund=refund, reason=reason, now=now)
            if lock is not None and sale.operation_id is not None
            else _Posted(principal_fen=refund.principal_fen, external_fen=refund.external_fen)
        )
        sale_return_row = _return_create(
            sale,
            now,
            operator=actor.staff,
            authorised_by=authoriser,
            operation_id=posted.operation_id,
            reason=reason,
            list_fen=refund.list_fen,
            discount_fen=refund.discount_fen,
            payable_fen=refund.payable_fen,
            points_offset_fen=refund.points_offset_fen,
            points_returned=refund.points_used,
            principal_fen=posted.principal_fen,
            bonus_fen=refund.bonus_fen,
            external_fen=posted.external_fen,
            points_earned=refund.points_earned,
            points_taken_back=posted.points_taken_back,
            points_unrecovered=posted.points_unrecovered,
            deduction_fen=posted.deduction_fen,
            refund_payments=_refund_payments(sale, posted.external_fen),
        )
        return_rows = SaleReturnLine.objects.bulk_create(
            [
                SaleReturnLine(
                    sale_return=sale_return_row,
                    sale_line=line,
                    quantity_milli=part.quantity_milli,
                    list_fen=part.list_fen,
                    discount_fen=part.discount_fen,
                    points_offset_fen=part.points_offset_fen,
                    points_used=part.points_used,
                    principal_fen=part.principal_fen,
                    bonus_fen=part.bonus_fen,
                    external_fen=part.external_fen,
                    points_earned=part.points_earned,
                )
                for line, part in parts
            ]
        )
        for line, part in parts:
            line.returned_milli += part.quantity_milli
        SaleLine.objects.bulk_update([line for line, _part in parts], ["returned_milli"])
        sale.returned_payable_fen += refund.payable_fen
        sale.returned_points_earned += refund.points_earned
        if all(line.returned_milli == line.quantity_milli for line in all_lines.values()):
            sale.status = Sale.Status.RETURNED
        sale.save(update_fields=["returned_payable_fen", "returned_points_earned", "status"])
        audit_record(
            actor=actor,
            action="sale.returned",
            subject_type="sale",
            subject_id=sale.pk,
            member_id=sale.member_id,
            after={
                "number": sale.number,
                "return": sale_return_row.number,
                "lines": {str(line.pk): part.quantity_milli for line, part in parts},
                "principal": posted.principal_fen,
                "bonus": refund.bonus_fen,
                "points_returned": refund.points_used,
                "external": posted.external_fen,
                "points_taken_back": posted.points_taken_back,
                "deduction": posted.deduction_fen,
                "authorised_by": authoriser.username if authoriser else None,
            },
            note=reason,
            store_id=sale.store_id,
        )
        event_emit(
            "sale.returned",
            payload={
                "sale_id": sale.pk,
                "return_id": sale_return_row.pk,
                "card_id": sale.card_id,
                "operation_id": posted.operation_id,
                "refund_principal_fen": posted.principal_fen,
                "refund_bonus_fen": refund.bonus_fen,
                "refund_external_fen": posted.external_fen,
                "points_returned": refund.points_used,
                "points_taken_back": posted.points_taken_back,
            },
            member_id=sale.member_id,
            store_id=sale.store_id,
        )
        if lock is not None and lock.member is not None:
            tier_services.tier_reevaluate_after_reversal(
                actor=actor, member=lock.member, since=sale.created_at, now=now
            )
        if hooks.participants():
            hooks.sale_returned(
                hooks.ReturnDone(
                    actor=actor,
                    sale=sale,
                    sale_return=sale_return_row,
                    lines=list(zip((line for line, _part in parts), return_rows, strict=True)),
                    lock=lock,
                    now=now,
                )
            )
        return sale_return_row

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="sale_return",
        payload={
            "sale_id": sale_id,
            "lines": sorted([line.sale_line_id, line.quantity_milli] for line in requested),
            "reason": reason,
            "authorised_by": authoriser.username if authoriser else "",
        },
        perform=perform,
        load=_return_load,
    )


def _quantity(milli: int, unit: str) -> str:
    whole, rest = divmod(milli, 1000)
    text = f"{whole}.{rest:03d}".rstrip("0").rstrip(".") if rest else str(whole)
    return f"{text}{unit}"
