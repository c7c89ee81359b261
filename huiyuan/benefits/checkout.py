"""Selling benefit cards at checkout (``checkout.hooks``), like count cards: the sale's
transaction opens (or renews) the card, a return or a reversal undoes it.

- A line of a plan's product, one unit, for the sale's member: opens a card; if the member
  holds an active card of the same plan, the sale renews it (one more term after its last
  day). Holding a card of another plan refuses the sale (``benefit_held``): upgrade it.
- Sold without a member, in fractions or more than one unit: refused (the quote warns).
- Returning the line cancels the card it opened if its free uses were never used and it
  was never renewed; returning a renewal takes the term back if nothing moved the card
  since. Otherwise the return is refused (``benefit_partly_used``): refund instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from huiyuan.benefits import services
from huiyuan.benefits.models import BenefitChange, BenefitPlan, MemberBenefit
from huiyuan.checkout import hooks
from huiyuan.checkout.models import SaleLine
from huiyuan.core.errors import Conflict, ValidationFailed
from huiyuan.core.permissions import Actor

MILLI = 1000


def _plans(product_ids: set[int]) -> dict[int, BenefitPlan]:
    product_ids = {pk for pk in product_ids if pk and pk > 0}
    if not product_ids:
        return {}
    return {p.product_id: p for p in BenefitPlan.objects.filter(product_id__in=product_ids)}


def _line_paid(line: SaleLine) -> int:
    return line.principal_fen + line.bonus_fen + line.external_fen + line.points_offset_fen


def _held(member_id: int | None) -> MemberBenefit | None:
    if member_id is None:
        return None
    return MemberBenefit.objects.filter(
        member_id=member_id, status=MemberBenefit.Status.ACTIVE
    ).first()


class BenefitParticipant(hooks.Participant):
    name = "benefits"

    def quote_notes(self, context: hooks.QuoteContext) -> Sequence[hooks.Note]:
        plans = _plans({line.product_id for line in context.lines})
        if not plans:
            return ()
        notes: list[hooks.Note] = []
        lines = [line for line in context.lines if line.product_id in plans]
        if len(lines) > 1 or any(line.quantity_milli != MILLI for line in lines):
            raise ValidationFailed(
                _("Sell one benefit card at a time."),
                code="benefit_one_unit",
                details={"line_id": lines[0].line_id},
            )
        line = lines[0]
        plan = plans[line.product_id]
        if context.member_id is None:
            if context.completing:
                raise ValidationFailed(
                    _("%(plan)s is a member's card: find the member first.") % {"plan": plan.name},
                    code="benefit_needs_member",
                    details={"line_id": line.line_id},
                )
            return [
                hooks.Note(
                    code="benefit.needs_member",
                    message=_("%(plan)s needs a member: find the member first.")
                    % {"plan": plan.name},
                    line_id=line.line_id,
                    params={"plan_id": plan.pk},
                )
            ]
        if not plan.active:
            raise Conflict(
                _("%(plan)s is not on sale.") % {"plan": plan.name},
                code="plan_not_on_sale",
                details={"line_id": line.line_id},
            )
        held = _held(context.member_id)
        if held is not None and held.plan_id != plan.pk:
            raise Conflict(
                _("The member holds %(held)s: upgrade it on the member page instead.")
                % {"held": held.name},
                code="benefit_held",
                details={"line_id": line.line_id, "benefit_id": held.pk},
            )
        renews = held is not None
        if renews and held is not None and held.valid_until is None:
            raise Conflict(_("A lifetime card needs no renewal."), code="benefit_lifetime")
        notes.append(
            hooks.Note(
                code="benefit.renews" if renews else "benefit.opens",
                message=(
                    _("Renews %(plan)s on the member's card.")
                    if renews
                    else _("Opens %(plan)s on the member's card.")
                )
                % {"plan": plan.name},
                line_id=line.line_id,
                params={"plan_id": plan.pk},
            )
        )
        return notes

    def sale_completed(self, done: hooks.SaleDone) -> None:
        plan_ids = {
            note["params"]["plan_id"]
            for note in done.sale.notes or ()
            if note.get("code") in ("benefit.opens", "benefit.renews")
        }
        if not plan_ids:
            return
        sale = done.sale
        if sale.member_id is None:
            raise ValidationFailed(
                _("A benefit card is a member's card: find the member first."),
                code="benefit_needs_member",
            )
        plans = {p.product_id: p for p in BenefitPlan.objects.filter(pk__in=plan_ids)}
        for line in done.lines:
            plan = plans.get(line.product_id) if line.product_id else None
            if plan is None:
                continue
            held = services.locked_active(sale.member_id)  # the sale's card lock holds the member
            if (
                held is not None
                and held.valid_until is not None
                and held.valid_until < (services.local_date(done.now))
            ):
                services.benefit_close_locked(
                    done.actor, held, MemberBenefit.Status.EXPIRED, done.now
                )
                held = None
            if held is not None and held.plan_id != plan.pk:
                raise Conflict(
                    _("The member holds %(held)s: upgrade it on the member page instead.")
                    % {"held": held.name},
                    code="benefit_held",
                )
            if held is not None:
                services.benefit_renew_locked(
                    actor=done.actor,
                    benefit=held,
                    paid_fen=_line_paid(line),
                    now=done.now,
                    store_id=sale.store_id,
                    sale_id=sale.pk,
                )
                continue
            services.benefit_open(
                actor=done.actor,
                plan=plan,
                member_id=sale.member_id,
                card_id=sale.card_id,
                store_id=sale.store_id,
                paid_fen=_line_paid(line),
                now=done.now,
                sale_id=sale.pk,
                sale_line_id=line.pk,
            )

    def sale_returned(self, done: hooks.ReturnDone) -> None:
        lines = [line for line, row in done.lines if row.quantity_milli > 0]
        _undo(done.actor, done.sale.pk, lines, done.now)

    def sale_reversed(self, done: hooks.ReversalDone) -> None:
        _undo(done.actor, done.sale.pk, list(done.lines), done.now)


def _refuse(name: str) -> Conflict:
    return Conflict(
        _("%(plan)s has been used, renewed or changed: it cannot be returned. Refund it instead.")
        % {"plan": name},
        code="benefit_partly_used",
    )


def _undo(actor: Actor, sale_id: int, lines: list[SaleLine], now: dt.datetime) -> None:
    product_ids = {line.product_id for line in lines if line.product_id}
    if not product_ids or not BenefitPlan.objects.filter(product_id__in=product_ids).exists():
        return
    line_ids = [line.pk for line in lines]
    opened = list(
        MemberBenefit.objects.select_for_update(no_key=True, of=("self",))
        .filter(sale_line_id__in=line_ids)
        .order_by("pk")
    )
    for benefit in opened:
        if (
            benefit.status != MemberBenefit.Status.ACTIVE
            or benefit.changes.exists()
            or services.free_uses_used(benefit)
        ):
            raise _refuse(benefit.name)
        services.benefit_close_locked(
            actor, benefit, MemberBenefit.Status.CANCELLED, now, sale=sale_id
        )
    renewals = list(
        BenefitChange.objects.filter(sale_id=sale_id, kind=BenefitChange.Kind.RENEW).select_related(
            "benefit"
        )
    )
    for change in renewals:
        benefit = (
            MemberBenefit.objects.select_for_update(no_key=True, of=("self",))
            .filter(pk=change.benefit_id)
            .get()
        )
        latest = benefit.changes.order_by("-pk").first()
        if (
            benefit.status != MemberBenefit.Status.ACTIVE
            or latest is None
            or latest.pk != change.pk
            or benefit.valid_until != change.until_after
        ):
            raise _refuse(benefit.name)
        benefit.valid_until = change.until_before
        benefit.paid_fen = max(0, benefit.paid_fen - change.amount_fen)
        benefit.save(update_fields=["valid_until", "paid_fen"])
        services._free_until(actor, benefit, benefit.valid_until)
        services.audit_record(
            actor=actor,
            action="benefit.renewal_returned",
            subject_type="benefit",
            subject_id=benefit.pk,
            member_id=benefit.member_id,
            before={"until": str(change.until_after)},
            after={"until": str(change.until_before), "sale": sale_id},
            store_id=benefit.store_id,
        )
        services.event_emit(
            "benefit.renewal_returned",
            payload={"benefit_id": benefit.pk, "change_id": change.pk, "sale_id": sale_id},
            member_id=benefit.member_id,
            store_id=benefit.store_id,
        )
        change.reason = "returned"  # the record stays; the sale's return tells the rest
        change.save(update_fields=["reason"])
