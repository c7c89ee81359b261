"""Refund of a package's unused part (退次卡): paid back over the counter, the package closes.

The rule (``rules.refund_quote``, docs/packages.md): paid × unused ÷ total, rounded down to
the fen, less the plan's fee (fixed + basis points of that amount, rounded down), never
below zero. Units are uses (count and course cards, summed over the items) or days of
validity (period cards: the days after today, today counted as used; a card not yet
activated is wholly unused). The money is handed back in cash or another external method
(``PackageRefund``); stored value is not credited.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.services import event_emit
from huiyuan.ledger.commands import command_run
from huiyuan.packages import rules
from huiyuan.packages.models import Kind, MemberPackage, PackageItem, PackageRefund
from huiyuan.packages.services import package_lock
from huiyuan.stores.scope import ScopeOp, scope_require
from huiyuan.wallet.models import PaymentMethod


def refund_units(
    package: MemberPackage, items: list[PackageItem], today: dt.date
) -> tuple[int, int]:
    """(total, unused) units of ``package`` on local date ``today``."""
    if package.kind == Kind.PERIOD:
        start = package.valid_from or today
        end = package.valid_until or rules.valid_until(
            start, package.validity_value, package.validity_unit
        )
        if end is None:  # a period card always has a validity; guard anyway
            return 1, 0
        total = (end - start).days + 1
        if package.valid_from is None:
            return total, total
        first_unused = max(today + dt.timedelta(days=1), start)
        return total, max(0, (end - first_unused).days + 1)
    total = sum(item.total or 0 for item in items)
    unused = sum(item.remaining or 0 for item in items)
    return total, unused


def refund_preview(package: MemberPackage, *, today: dt.date | None = None) -> rules.RefundQuote:
    """What a refund of ``package`` would pay today (read without locks, for display)."""
    today = today or local_date(timezone.now())
    total, unused = refund_units(package, list(package.items.all()), today)
    return rules.refund_quote(
        paid_fen=package.paid_fen,
        total_units=max(total, 1),
        unused_units=min(unused, max(total, 1)),
        fee_fen=package.refund_fee_fen,
        fee_bp=package.refund_fee_bp,
    )


def _load(refund_id: int) -> PackageRefund:
    return PackageRefund.objects.select_related("package").get(pk=refund_id)


def package_refund(
    *,
    actor: Actor,
    package_id: int,
    method: str = PaymentMethod.CASH,
    reason: str,
    idempotency_key: str,
) -> PackageRefund:
    """Pay back the unused part of an active package and close it."""
    require(actor, Perm.WALLET_REFUND)
    if method not in PaymentMethod.values:
        raise ValidationFailed(_("Unknown payment method."), code="invalid_method", field="method")
    reason = (reason or "").strip()[:200]
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")
    if not isinstance(package_id, int) or isinstance(package_id, bool):
        raise NotFound(_("Package not found."), code="package_not_found")

    def perform() -> PackageRefund:
        now = timezone.now()
        package = package_lock(package_id)
        scope_require(actor, ScopeOp.REFUND, home_store_id=package.store_id)
        today = local_date(now)
        if package.status != MemberPackage.Status.ACTIVE or (
            package.valid_until is not None and package.valid_until < today
        ):
            raise Conflict(
                _("Only an active package can be refunded."), code="package_not_refundable"
            )
        items = list(package.items.all())
        total, unused = refund_units(package, items, today)
        if unused <= 0:
            raise Conflict(_("Nothing is left to refund."), code="package_nothing_to_refund")
        quote = rules.refund_quote(
            paid_fen=package.paid_fen,
            total_units=total,
            unused_units=unused,
            fee_fen=package.refund_fee_fen,
            fee_bp=package.refund_fee_bp,
        )
        store_id = actor.store_id or package.store_id
        refund = PackageRefund.objects.create(
            package=package,
            store_id=store_id,
            operator=actor.staff,
            method=method,
            paid_fen=quote.paid_fen,
            total_units=quote.total_units,
            unused_units=quote.unused_units,
            gross_fen=quote.gross_fen,
            fee_fen=quote.fee_fen,
            amount_fen=quote.amount_fen,
            reason=reason,
            created_at=now,
        )
        package.status = MemberPackage.Status.REFUNDED
        package.closed_at = now
        package.save(update_fields=["status", "closed_at"])
        audit_record(
            actor=actor,
            action="package.refunded",
            subject_type="package",
            subject_id=package.pk,
            member_id=package.member_id,
            before={"status": MemberPackage.Status.ACTIVE},
            after={
                "status": package.status,
                "refund": refund.pk,
                "units": [quote.unused_units, quote.total_units],
                "gross": quote.gross_fen,
                "fee": quote.fee_fen,
                "amount": quote.amount_fen,
                "method": method,
            },
            note=reason,
            store_id=store_id,
        )
        event_emit(
            "package.refunded",
            payload={
                "package_id": package.pk,
                "refund_id": refund.pk,
                "amount_fen": quote.amount_fen,
                "fee_fen": quote.fee_fen,
                "method": method,
            },
            member_id=package.member_id,
            store_id=store_id,
        )
        return refund

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="package_refund",
        payload={"package": package_id, "method": method, "reason": reason},
        perform=perform,
        load=_load,
    )
