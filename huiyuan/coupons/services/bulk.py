"""Bulk issue: one coupon each for a chunk of members from one template, with the rules of
``issue_locked`` decided for the whole chunk in a few set-based queries, then one insert of
the coupons, one of their audit events (``audit_record_many``) and one of their
``coupon.issued`` events (``event_emit_many``). A background job that serves thousands of
members (a DM campaign, a care date) calls it once per chunk, in its own transaction.

The caller holds the template's row lock (``template_locked``), so stock and budget are
decided under it exactly as for one coupon: members are served in the order given until
the stock or the budget runs out; the rest get none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Count

from huiyuan.audit.services import AuditSubject, audit_record_many
from huiyuan.core.clock import local_date
from huiyuan.core.permissions import Actor
from huiyuan.coupons.codes import new_code
from huiyuan.coupons.models import Coupon, CouponTemplate
from huiyuan.coupons.services.issue import member_refusal, template_refusal
from huiyuan.events.services import EventItem, event_emit_many
from huiyuan.members.models import Member


def _room(template: CouponTemplate) -> int | None:
    """How many more coupons stock and budget allow (None: no limit); 0 when either is out,
    as ``template_refusal`` decides it for one coupon at a time."""
    room: int | None = None
    if template.stock is not None:
        room = max(template.stock - template.issued_count, 0)
    if template.budget_fen is not None:
        left = template.budget_fen - template.budget_used_fen
        by_budget: int | None
        if template.liability_fen > 0:
            by_budget = max(left // template.liability_fen, 0)
        else:
            by_budget = 0 if left < 0 else None
        if by_budget is not None:
            room = by_budget if room is None else min(room, by_budget)
    return room


def coupons_issue_bulk(
    *,
    actor: Actor,
    template: CouponTemplate,
    members: Sequence[Member],
    now: dt.datetime,
    source: str,
    channel: str = Coupon.Channel.BATCH,
) -> dict[int, Coupon]:
    """One coupon each for ``members`` from a template the caller holds locked; members the
    rules refuse (not active, at the per-member limit, already served for ``source``, past
    the stock or budget) get none. Keyed by member id. Call inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("coupons_issue_bulk() must run inside the chunk's transaction")
    if not source:
        raise ValueError("coupons_issue_bulk() needs a source: each member once per source")
    if not members or template_refusal(template, now) is not None:
        return {}
    ids = [m.pk for m in members]
    held: dict[int, int] = {}
    if template.per_member_limit:
        held = dict(
            Coupon.objects.filter(template=template, member_id__in=ids)
            .values_list("member_id")
            .annotate(n=Count("pk"))
            .values_list("member_id", "n")
        )
    served = set(
        Coupon.objects.filter(template=template, source=source, member_id__in=ids).values_list(
            "member_id", flat=True
        )
    )
    eligible: list[Member] = []
    seen: set[int] = set()
    for m in members:
        if m.pk in served or m.pk in seen:
            continue
        if member_refusal(template, m, held.get(m.pk, 0)) is None:
            eligible.append(m)
            seen.add(m.pk)
    room = _room(template)
    if room is not None:
        eligible = eligible[:room]
    if not eligible:
        return {}
    valid_from, valid_to = template.validity_for(local_date(now))
    coupons = Coupon.objects.bulk_create(
        [
            Coupon(
                template=template,
                member=m,
                code=new_code(),
                channel=channel,
                source=source,
                valid_from=valid_from,
                valid_to=valid_to,
                issued_at=now,
                issued_by=actor.staff,
            )
            for m in eligible
        ]
    )
    template.issued_count += len(coupons)
    template.budget_used_fen += template.liability_fen * len(coupons)
    template.save(update_fields=["issued_count", "budget_used_fen"])
    after = {"template": template.pk, "channel": channel, "source": source}
    audit_record_many(
        actor=actor,
        action="coupon.issued",
        subject_type="coupon",
        subjects=[
            AuditSubject(subject_id=c.pk, member_id=c.member_id, after=after) for c in coupons
        ],
    )
    event_emit_many(
        "coupon.issued",
        items=[
            EventItem(
                payload={"coupon_id": c.pk, "template_id": template.pk, "channel": channel},
                member_id=c.member_id,
                store_id=actor.store_id,
            )
            for c in coupons
        ],
    )
    return {c.member_id: c for c in coupons}
