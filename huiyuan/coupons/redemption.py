"""Coupons at the counter: the terms the sale prices with, and their use in its transaction.

``CouponSource`` (registered as checkout's one coupon source) gives the terms of a member's
coupons for the quote, and of the chosen codes for the sale — locked FOR NO KEY UPDATE
after the card's lock, so two sales cannot both use one coupon. ``CouponParticipant`` marks
the coupons the engine applied as used in the sale's transaction (a refused sale rolls it
back with everything else), and restores them as declared:

- a return restores a coupon when its template says so (``restore_on_return``), every line
  it applied to is now returned in full, and the coupon is still within its validity;
- a reversal (冲正) undoes the whole sale: its coupons are restored within their validity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext_lazy as _

from huiyuan import pricing
from huiyuan.audit.services import audit_record
from huiyuan.checkout import hooks
from huiyuan.checkout.models import Sale, SaleLine
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict, NotFound
from huiyuan.coupons.codes import normalise
from huiyuan.coupons.models import Coupon
from huiyuan.events.services import event_emit

HELD_LIMIT = 50


def terms_of(coupon: Coupon) -> pricing.CouponTerms:
    template = coupon.template
    return pricing.CouponTerms(
        id=coupon.pk,
        code=coupon.code,
        name=template.name,
        kind=pricing.CouponKind(template.kind),
        value=template.value,
        min_spend_fen=template.min_spend_fen,
        cap_fen=template.cap_fen,
        gift_product_id=template.gift_product_id,
        category_codes=frozenset(template.category_codes or ()),
        store_ids=frozenset(template.store_ids or ()),
        weekdays=frozenset(template.weekdays or ()),
        tier_codes=frozenset(template.tier_codes or ()),
        valid_from=coupon.valid_from,
        valid_to=coupon.valid_to,
        group=template.stack_group,
        template_id=template.pk,
        version=template.version,
    )


class CouponSource:
    def coupons_held(self, *, member_id: int, now: dt.datetime) -> list[pricing.CouponTerms]:
        today = local_date(now)
        rows = (
            Coupon.objects.select_related("template")
            .filter(member_id=member_id, status=Coupon.Status.UNUSED)
            .exclude(valid_to__lt=today)
            .order_by("valid_to", "pk")[:HELD_LIMIT]
        )
        return [terms_of(c) for c in rows]

    def coupons_by_code(
        self, *, codes: Sequence[str], member_id: int | None, now: dt.datetime, lock: bool
    ) -> list[pricing.CouponTerms]:
        wanted = [normalise(c) for c in codes]
        rows = Coupon.objects.filter(code__in=wanted).order_by("pk")
        if lock:
            rows = rows.select_for_update(no_key=True, of=("self",))
        found = {c.code: c for c in rows.select_related("template")}
        today = local_date(now)
        terms = []
        for code in wanted:
            coupon = found.get(code)
            if coupon is None or coupon.status == Coupon.Status.VOID:
                raise NotFound(
                    _("Unknown coupon %(code)s.") % {"code": code},
                    code="coupon_not_found",
                    field="coupons",
                )
            if member_id is not None and coupon.member_id != member_id:
                raise Conflict(
                    _("Coupon %(code)s belongs to another member.") % {"code": code},
                    code="coupon_not_members",
                    field="coupons",
                )
            if coupon.status == Coupon.Status.USED:
                raise Conflict(
                    _("Coupon %(code)s has already been used.") % {"code": code},
                    code="coupon_used",
                    field="coupons",
                )
            if coupon.valid_to is not None and today > coupon.valid_to:
                raise Conflict(
                    _("Coupon %(code)s has expired.") % {"code": code},
                    code="coupon_expired",
                    field="coupons",
                )
            terms.append(terms_of(coupon))
        return terms


def _coupon_amounts(lines: Iterable[SaleLine]) -> dict[int, int]:
    """Coupon id → the discount it gave on these lines (from the stored adjustments)."""
    amounts: dict[int, int] = {}
    for line in lines:
        for adjustment in line.adjustments or ():
            rule = adjustment.get("rule", {})
            if rule.get("kind") == "coupon" and rule.get("id") is not None:
                amounts[int(rule["id"])] = amounts.get(int(rule["id"]), 0) + int(
                    adjustment["amount_fen"]
                )
    return amounts


def _lines_of(coupon_id: int, lines: Iterable[SaleLine]) -> list[SaleLine]:
    return [
        line
        for line in lines
        if any(
            a.get("rule", {}).get("kind") == "coupon" and a["rule"].get("id") == coupon_id
            for a in line.adjustments or ()
        )
    ]


def _restore(coupons: Iterable[Coupon], sale: Sale, now: dt.datetime, actor: object) -> None:
    today = local_date(now)
    for coupon in coupons:
        if coupon.status != Coupon.Status.USED or coupon.sale_id != sale.pk:
            continue
        if coupon.valid_to is not None and today > coupon.valid_to:
            continue
        coupon.status = Coupon.Status.UNUSED
        coupon.restored_at = now
        coupon.times_restored += 1
        coupon.sale_id = None
        coupon.used_at = None
        coupon.used_store_id = None
        coupon.discount_fen = 0
        coupon.sale_payable_fen = 0
        coupon.save()
        audit_record(
            actor=actor,  # type: ignore[arg-type]
            action="coupon.restored",
            subject_type="coupon",
            subject_id=coupon.pk,
            member_id=coupon.member_id,
            after={"sale": sale.pk},
        )
        event_emit(
            "coupon.restored",
            payload={"coupon_id": coupon.pk, "template_id": coupon.template_id, "sale_id": sale.pk},
            member_id=coupon.member_id,
            store_id=sale.store_id,
        )


class CouponParticipant(hooks.Participant):
    name = "coupons"

    def sale_completed(self, done: hooks.SaleDone) -> None:
        amounts = _coupon_amounts(done.lines)
        if not amounts:
            return
        coupons = Coupon.objects.select_for_update(no_key=True, of=("self",)).filter(pk__in=amounts)
        for coupon in coupons:
            if coupon.status != Coupon.Status.UNUSED:  # locked since pricing: cannot happen
                raise Conflict(_("This coupon has already been used."), code="coupon_used")
            coupon.status = Coupon.Status.USED
            coupon.used_at = done.now
            coupon.sale_id = done.sale.pk
            coupon.used_store_id = done.sale.store_id
            coupon.discount_fen = amounts[coupon.pk]
            coupon.sale_payable_fen = done.sale.payable_fen
            coupon.save()
            audit_record(
                actor=done.actor,
                action="coupon.used",
                subject_type="coupon",
                subject_id=coupon.pk,
                member_id=coupon.member_id,
                after={"sale": done.sale.pk, "discount": amounts[coupon.pk]},
            )
            event_emit(
                "coupon.used",
                payload={
                    "coupon_id": coupon.pk,
                    "template_id": coupon.template_id,
                    "sale_id": done.sale.pk,
                    "discount_fen": amounts[coupon.pk],
                },
                member_id=coupon.member_id,
                store_id=done.sale.store_id,
            )

    def sale_returned(self, done: hooks.ReturnDone) -> None:
        touched = _coupon_amounts(line for line, _part in done.lines)
        if not touched:
            return
        lines = list(SaleLine.objects.filter(sale=done.sale))
        coupons = Coupon.objects.select_for_update(no_key=True, of=("self",)).filter(
            pk__in=touched, template__restore_on_return=True
        )
        back = [
            coupon
            for coupon in coupons
            if all(
                line.returned_milli >= line.quantity_milli for line in _lines_of(coupon.pk, lines)
            )
        ]
        _restore(back, done.sale, done.now, done.actor)

    def sale_reversed(self, done: hooks.ReversalDone) -> None:
        amounts = _coupon_amounts(done.lines)
        if amounts:
            coupons = Coupon.objects.select_for_update(no_key=True, of=("self",)).filter(
                pk__in=amounts
            )
            _restore(coupons, done.sale, done.now, done.actor)
