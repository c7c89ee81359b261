"""Selling packages at checkout (``checkout.hooks``): the sale's transaction opens them, a
return or a reversal cancels them.

- A line of a plan's product opens one package per unit sold, for the sale's member and
  card, paid the line's share (``rules.unit_share`` of what the line cost after
  discounts, whatever paid it), in the sale's transaction.
- Sold without a card: the quote warns, the sale is refused (``package_needs_member``).
  A plan taken off sale refuses the sale (``plan_not_on_sale``).
- Returning q units of a line cancels q of its packages that were never used (the last
  units first). If fewer than q of them are unused — a use was made, or a package was
  refunded — the return is refused (``package_partly_used``): refund the unused part
  instead. A reversal (冲正) cancels every package of the sale, on the same condition.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.checkout import hooks
from huiyuan.checkout.models import SaleLine
from huiyuan.core.errors import Conflict, ValidationFailed
from huiyuan.core.permissions import Actor
from huiyuan.events.services import event_emit
from huiyuan.packages import rules
from huiyuan.packages.models import MemberPackage, PackageItem, PackagePlan
from huiyuan.packages.services import package_open

MILLI = 1000


def _plans(product_ids: set[int]) -> dict[int, PackagePlan]:
    product_ids = {pk for pk in product_ids if pk and pk > 0}  # not a quick sale's line
    if not product_ids:
        return {}
    return {
        plan.product_id: plan for plan in PackagePlan.objects.filter(product_id__in=product_ids)
    }


def _line_paid(line: SaleLine) -> int:
    return line.principal_fen + line.bonus_fen + line.external_fen + line.points_offset_fen


class PackageParticipant(hooks.Participant):
    name = "packages"

    def quote_notes(self, context: hooks.QuoteContext) -> Sequence[hooks.Note]:
        plans = _plans({line.product_id for line in context.lines})
        notes: list[hooks.Note] = []
        for line in context.lines:
            plan = plans.get(line.product_id)
            if plan is None:
                continue
            if context.card_id is None:
                if context.completing:
                    raise ValidationFailed(
                        _("%(plan)s is opened on a member's card: find the member first.")
                        % {"plan": plan.name},
                        code="package_needs_member",
                        details={"line_id": line.line_id},
                    )
                notes.append(
                    hooks.Note(
                        code="package.needs_member",
                        message=_("%(plan)s needs a member card: find the member first.")
                        % {"plan": plan.name},
                        line_id=line.line_id,
                        params={"plan_id": plan.pk},
                    )
                )
                continue
            if not plan.active:
                raise Conflict(
                    _("%(plan)s is not on sale.") % {"plan": plan.name},
                    code="plan_not_on_sale",
                    details={"line_id": line.line_id},
                )
            if line.quantity_milli % MILLI:
                raise ValidationFailed(
                    _("Sell %(plan)s in whole units.") % {"plan": plan.name},
                    code="package_whole_units",
                    details={"line_id": line.line_id},
                )
            notes.append(
                hooks.Note(
                    code="package.opens",
                    message=_("Opens %(count)s × %(plan)s on the member's card.")
                    % {"count": line.quantity_milli // MILLI, "plan": plan.name},
                    line_id=line.line_id,
                    params={"plan_id": plan.pk, "count": line.quantity_milli // MILLI},
                )
            )
        return notes

    def sale_completed(self, done: hooks.SaleDone) -> None:
        # The completion's own quote_notes (same transaction, just before) named each plan
        # it will open in a ``package.opens`` note on the sale: a sale without one costs no
        # query here.
        plan_ids = {
            note["params"]["plan_id"]
            for note in done.sale.notes or ()
            if note.get("code") == "package.opens"
        }
        if not plan_ids:
            return
        plans = {
            plan.product_id: plan
            for plan in PackagePlan.objects.filter(pk__in=plan_ids).prefetch_related("items")
        }
        sale = done.sale
        if sale.card_id is None:  # quote_notes refused this already; never open unowned
            raise ValidationFailed(
                _("A card is opened on a member's card: find the member first."),
                code="package_needs_member",
            )
        for line in done.lines:
            plan = plans.get(line.product_id) if line.product_id else None
            if plan is None:
                continue
            units = line.quantity_milli // MILLI
            paid = _line_paid(line)
            for index in range(units):
                package_open(
                    actor=done.actor,
                    plan=plan,
                    store_id=sale.store_id,
                    member_id=sale.member_id,
                    card_id=sale.card_id,
                    paid_fen=rules.unit_share(paid, units, index),
                    now=done.now,
                    sale_id=sale.pk,
                    sale_line_id=line.pk,
                    unit_index=index,
                )

    def sale_returned(self, done: hooks.ReturnDone) -> None:
        wanted = {line.pk: row.quantity_milli // MILLI for line, row in done.lines}
        _cancel(done.actor, wanted, sale_id=done.sale.pk, return_id=done.sale_return.pk)

    def sale_reversed(self, done: hooks.ReversalDone) -> None:
        wanted = {line.pk: line.quantity_milli // MILLI for line in done.lines}
        _cancel(done.actor, wanted, sale_id=done.sale.pk, return_id=None)


def _cancel(actor: Actor, wanted: dict[int, int], *, sale_id: int, return_id: int | None) -> None:
    """Cancel ``wanted[line id]`` unused packages of each line, or refuse the whole return."""
    if not any(wanted.values()):
        return
    locked = list(
        MemberPackage.objects.select_for_update(no_key=True, of=("self",))
        .filter(sale_line_id__in=[line_id for line_id, n in wanted.items() if n])
        .order_by("pk")
    )
    if not locked:
        return
    used = {
        row["package_id"]
        for row in PackageItem.objects.filter(package__in=locked)
        .values("package_id")
        .annotate(n=Sum("used"))
        .filter(n__gt=0)
    }
    cancellable = (MemberPackage.Status.ACTIVE, MemberPackage.Status.EXPIRED)
    for line_id, count in wanted.items():
        of_line = [p for p in locked if p.sale_line_id == line_id]
        if not of_line or not count:
            continue
        unused = sorted(
            (p for p in of_line if p.status in cancellable and p.pk not in used),
            key=lambda p: -p.unit_index,
        )
        if len(unused) < count:
            raise Conflict(
                _(
                    "%(plan)s has been used or refunded: it cannot be returned. Refund its "
                    "unused part instead."
                )
                % {"plan": of_line[0].name},
                code="package_partly_used",
                details={"sale_line_id": line_id, "unused": len(unused), "returned": count},
            )
        for package in unused[:count]:
            before = package.status
            package.status = MemberPackage.Status.CANCELLED
            package.closed_at = package.closed_at or timezone.now()
            package.save(update_fields=["status", "closed_at"])
            audit_record(
                actor=actor,
                action="package.cancelled",
                subject_type="package",
                subject_id=package.pk,
                member_id=package.member_id,
                before={"status": before},
                after={"status": package.status, "sale": sale_id, "return": return_id},
                store_id=package.store_id,
            )
            event_emit(
                "package.cancelled",
                payload={"package_id": package.pk, "sale_id": sale_id, "return_id": return_id},
                member_id=package.member_id,
                store_id=package.store_id,
            )
