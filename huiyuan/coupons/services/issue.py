"""Issuing coupons: by hand, by claiming, on an event. Every issue decides under the
template's row lock — status, stock, budget, the member's limit — so however many issue at
once, never one coupon more than the stock, nor a fen over the budget."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict, NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.coupons.codes import new_code
from huiyuan.coupons.models import Coupon, CouponTemplate
from huiyuan.coupons.services.templates import template_locked
from huiyuan.events.services import event_emit
from huiyuan.ledger.commands import command_run
from huiyuan.members.models import Member

Channel = Coupon.Channel


def template_refusal(template: CouponTemplate, now: dt.datetime) -> Conflict | None:
    """Why this template may not give anyone one more coupon now (read under its lock)."""
    if template.status != CouponTemplate.Status.ACTIVE:
        return Conflict(_("This coupon template is stopped."), code="coupon_template_stopped")
    if template.validity == CouponTemplate.Validity.FIXED and template.valid_to is not None:
        if local_date(now) > template.valid_to:
            return Conflict(_("This coupon template has expired."), code="coupon_template_expired")
    if template.stock is not None and template.issued_count >= template.stock:
        return Conflict(_("No coupons of this template are left."), code="coupon_out_of_stock")
    if (
        template.budget_fen is not None
        and template.budget_used_fen + template.liability_fen > template.budget_fen
    ):
        return Conflict(_("This template's budget is spent."), code="coupon_budget_exhausted")
    return None


def member_refusal(template: CouponTemplate, member: Member, held: int) -> Conflict | None:
    """Why ``member``, who holds ``held`` coupons of the template, may not get one more."""
    if member.status != Member.Status.ACTIVE:
        return Conflict(_("The member is not active."), code="member_not_active")
    if template.per_member_limit and held >= template.per_member_limit:
        return Conflict(
            _("This member already holds %(n)s of these coupons.")
            % {"n": template.per_member_limit},
            code="coupon_limit_reached",
        )
    return None


def issue_refusal(template: CouponTemplate, member: Member, now: dt.datetime) -> Conflict | None:
    """Why this template may not give ``member`` one more coupon now (read under the lock)."""
    refusal = template_refusal(template, now)
    if refusal is not None:
        return refusal
    held = (
        Coupon.objects.filter(template=template, member=member).count()
        if template.per_member_limit
        else 0
    )
    return member_refusal(template, member, held)


def issue_locked(
    *,
    actor: Actor,
    template: CouponTemplate,
    member: Member,
    channel: str,
    now: dt.datetime,
    source: str = "",
) -> Coupon:
    """One coupon from a template already locked by the caller; raises the refusal."""
    refusal = issue_refusal(template, member, now)
    if refusal is not None:
        raise refusal
    valid_from, valid_to = template.validity_for(local_date(now))
    for _attempt in range(5):
        try:
            with transaction.atomic():
                coupon = Coupon.objects.create(
                    template=template,
                    member=member,
                    code=new_code(),
                    channel=channel,
                    source=source,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    issued_at=now,
                    issued_by=actor.staff,
                )
            break
        except IntegrityError:  # a code already taken (one in 2^60) or the source twice
            if (
                source
                and Coupon.objects.filter(template=template, member=member, source=source).exists()
            ):
                raise Conflict(_("Already issued."), code="coupon_already_issued") from None
    else:  # pragma: no cover - five collisions of 60 random bits
        raise Conflict(_("Try again."), code="coupon_code_collision")
    template.issued_count += 1
    template.budget_used_fen += template.liability_fen
    template.save(update_fields=["issued_count", "budget_used_fen"])
    audit_record(
        actor=actor,
        action="coupon.issued",
        subject_type="coupon",
        subject_id=coupon.pk,
        member_id=member.pk,
        after={"template": template.pk, "channel": channel, "source": source},
    )
    event_emit(
        "coupon.issued",
        payload={"coupon_id": coupon.pk, "template_id": template.pk, "channel": channel},
        member_id=member.pk,
        store_id=actor.store_id,
    )
    return coupon


def _member(actor: Actor, member_id: int) -> Member:
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise NotFound(_("Member not found."), code="member_not_found")
    return member


def coupon_load(pk: int) -> Coupon:
    return Coupon.objects.select_related("template", "member").get(pk=pk)


def _issue(
    *, actor: Actor, template_id: int, member_id: int, channel: str, idempotency_key: str
) -> Coupon:
    def perform() -> Coupon:
        template = template_locked(template_id)
        if channel == Channel.CLAIM and not template.claimable:
            raise Conflict(_("This coupon cannot be claimed."), code="coupon_not_claimable")
        member = _member(actor, member_id)
        return issue_locked(
            actor=actor, template=template, member=member, channel=channel, now=timezone.now()
        )

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind=f"coupon.{channel}",
        payload={"template": template_id, "member": member_id},
        perform=perform,
        load=coupon_load,
    )


def coupon_issue(*, actor: Actor, template_id: int, member_id: int, idempotency_key: str) -> Coupon:
    """Issue one coupon to a member by hand (once per idempotency key)."""
    require(actor, Perm.COUPON_ISSUE)
    return _issue(
        actor=actor,
        template_id=template_id,
        member_id=member_id,
        channel=Channel.MANUAL,
        idempotency_key=idempotency_key,
    )


def coupon_claim(*, actor: Actor, template_id: int, member_id: int, idempotency_key: str) -> Coupon:
    """A member claims a coupon of a claimable template (stock and limit respected)."""
    require(actor, Perm.COUPON_ISSUE)
    return _issue(
        actor=actor,
        template_id=template_id,
        member_id=member_id,
        channel=Channel.CLAIM,
        idempotency_key=idempotency_key,
    )


def coupons_issue_on_event(
    *, actor: Actor, event_name: str, member_id: int, source: str, amount_fen: int = 0
) -> list[Coupon]:
    """Every active template that issues on ``event_name`` gives the member one coupon,
    once per event (``source``); a template out of stock, budget or limit is skipped."""
    issued: list[Coupon] = []
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        return issued
    candidates = CouponTemplate.objects.filter(status=CouponTemplate.Status.ACTIVE).order_by("pk")
    now = timezone.now()
    for template_id, issue_on, min_recharge in candidates.values_list(
        "pk", "issue_on", "min_recharge_fen"
    ):
        if event_name not in (issue_on or []) or amount_fen < min_recharge:
            continue
        with transaction.atomic():
            template = template_locked(template_id)
            if Coupon.objects.filter(template=template, member=member, source=source).exists():
                continue
            if issue_refusal(template, member, now) is not None:
                continue
            issued.append(
                issue_locked(
                    actor=actor,
                    template=template,
                    member=member,
                    channel=Channel.EVENT,
                    now=now,
                    source=source,
                )
            )
    return issued
