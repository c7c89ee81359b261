"""Direct-mail campaigns (DM, 营销群发) to a saved segment, with an optional coupon.

A campaign is created as a draft, then started: the worker serves its audience in member
id order, ``CHUNK`` members per short transaction. Each member served gets one
``CampaignRecipient`` row (unique per campaign and member) written in the same
transaction as their coupon and their queued delivery, and the campaign's progress
(``done``, ``last_member_id``) moves in that transaction too. So a worker that dies
mid-chunk leaves nothing of that chunk, and a run started again (by the scheduler's sweep
of stalled campaigns, or by hand) carries on from the last committed member without
serving anyone twice. The deliveries are sent by the sending sweep after each commit;
consent, quiet hours and the cap apply there (docs/care.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.models import AuditEvent
from huiyuan.audit.services import audit_record
from huiyuan.care import sending
from huiyuan.care.context import members_context
from huiyuan.care.models import Campaign, CampaignRecipient, ChannelKind, Delivery, MessageKind
from huiyuan.care.templates import wording_for
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, Role, require
from huiyuan.core.retry import atomic_retry
from huiyuan.coupons.codes import new_code
from huiyuan.coupons.models import Coupon, CouponTemplate
from huiyuan.coupons.services.batch import MemberFilter, members_matching
from huiyuan.coupons.services.issue import issue_refusal
from huiyuan.coupons.services.templates import template_locked
from huiyuan.events.models import OutboxEvent
from huiyuan.events.registry import has_subscribers
from huiyuan.events.services import dispatch_after_commit, payload_check
from huiyuan.members.models import Member
from huiyuan.segments.models import Segment
from huiyuan.segments.selectors import segment_member_ids

CHUNK = 500
STALLED_AFTER = dt.timedelta(minutes=10)
SYSTEM = Actor(role=Role.OWNER)


@dataclass(frozen=True)
class CampaignInput:
    name: str
    template_code: str
    channel: str = ChannelKind.SMS
    segment_id: int | None = None
    member_filter: dict[str, Any] | None = None
    coupon_template_id: int | None = None


def _actor_of(campaign: Campaign) -> Actor:
    return campaign.created_by.as_actor() if campaign.created_by is not None else SYSTEM


def campaign_audience(campaign: Campaign) -> QuerySet[Any]:
    """Ids of the members the campaign serves (its segment, else its filter), in id order."""
    if campaign.segment_id is not None:
        segment = Segment.objects.filter(pk=campaign.segment_id).first()
        if segment is None:
            return Member.objects.none().values_list("pk", flat=True)
        return segment_member_ids(segment, actor=_actor_of(campaign)).order_by("pk")
    flt = MemberFilter.from_dict(campaign.member_filter or {})
    return members_matching(flt).values_list("pk", flat=True).order_by("pk")


def campaign_create(*, actor: Actor, data: CampaignInput) -> Campaign:
    require(actor, Perm.CARE_MANAGE)
    name = data.name.strip()
    if not name:
        raise ValidationFailed(_("Name the campaign."), code="campaign_name_required", field="name")
    if data.channel not in ChannelKind.values:
        raise ValidationFailed(_("Unknown channel."), code="care_channel_unknown", field="channel")
    wording = wording_for(data.template_code, data.channel)
    if wording is None:
        raise ValidationFailed(
            _("Unknown message template."), code="care_template_unknown", field="template_code"
        )
    if wording.kind != MessageKind.MARKETING:
        raise ValidationFailed(
            _("A campaign sends a marketing template."),
            code="campaign_template_not_marketing",
            field="template_code",
        )
    if data.segment_id is not None and not Segment.objects.filter(pk=data.segment_id).exists():
        raise NotFound(_("Unknown segment."), code="segment_not_found", field="segment_id")
    if data.coupon_template_id is not None:
        template = CouponTemplate.objects.filter(pk=data.coupon_template_id).first()
        if template is None or template.status != CouponTemplate.Status.ACTIVE:
            raise ValidationFailed(
                _("This coupon template is stopped."),
                code="coupon_template_stopped",
                field="coupon_template_id",
            )
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name[:80],
            template_code=data.template_code,
            channel=data.channel,
            segment_id=data.segment_id,
            member_filter=data.member_filter or {},
            coupon_template_id=data.coupon_template_id,
            created_by=actor.staff,
            created_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="care_campaign.created",
            subject_type="care_campaign",
            subject_id=campaign.pk,
            after={
                "template": campaign.template_code,
                "channel": campaign.channel,
                "segment": campaign.segment_id,
                "coupon_template": campaign.coupon_template_id,
            },
        )
    return campaign


def campaign_get(*, actor: Actor, campaign_id: int) -> Campaign:
    require(actor, Perm.CARE_VIEW)
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("Unknown campaign."), code="campaign_not_found")
    return campaign


def campaign_start(*, actor: Actor, campaign_id: int) -> Campaign:
    """Start a draft (or resume a failed or stalled run); the worker does the sending."""
    require(actor, Perm.CARE_MANAGE)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            raise NotFound(_("Unknown campaign."), code="campaign_not_found")
        if campaign.status == Campaign.Status.DONE:
            raise Conflict(_("This campaign has already run."), code="campaign_done")
        was = campaign.status
        if was == Campaign.Status.DRAFT:
            total = campaign_audience(campaign).count()
            if total == 0:
                raise ValidationFailed(
                    _("No member is in this campaign's audience."), code="campaign_no_members"
                )
            campaign.total = total
            campaign.started_at = timezone.now()
        campaign.status = Campaign.Status.RUNNING
        campaign.error = ""
        campaign.heartbeat_at = timezone.now()
        campaign.save()
        audit_record(
            actor=actor,
            action="care_campaign.started"
            if was == Campaign.Status.DRAFT
            else "care_campaign.resumed",
            subject_type="care_campaign",
            subject_id=campaign.pk,
            after={"total": campaign.total, "done": campaign.done},
        )
        _enqueue_run(campaign.pk)
    return campaign


def _enqueue_run(campaign_id: int) -> None:
    from django_tasks.backends.immediate import ImmediateBackend

    from huiyuan.care.tasks import run_campaign

    if isinstance(run_campaign.get_backend(), ImmediateBackend):
        run_campaign.enqueue(campaign_id)
    else:
        transaction.on_commit(lambda: run_campaign.enqueue(campaign_id), robust=True)


def _coupon_text(template_name: str, code: str) -> str:
    return f"送您一张“{template_name}”，券码{code}。"


def coupons_issue_bulk(
    *,
    actor: Actor,
    template: CouponTemplate,
    members: list[Member],
    now: dt.datetime,
    source: str,
    channel: str = Coupon.Channel.BATCH,
) -> dict[int, Coupon]:
    """One coupon each for ``members`` from a template the caller holds locked, with the
    rules of ``coupons.services.issue.issue_locked`` decided for the whole chunk at once
    (status, validity, stock, budget, the per-member limit), then one insert of the coupons,
    one of their audit records and one of their ``coupon.issued`` events. Members the rules
    refuse get none. Keyed by member id."""
    if not members or issue_refusal(template, members[0], now) in _TEMPLATE_REFUSALS:
        return {}
    eligible = [m for m in members if m.status == Member.Status.ACTIVE]
    if template.per_member_limit:
        held = dict(
            Coupon.objects.filter(template=template, member_id__in=[m.pk for m in eligible])
            .values_list("member_id")
            .annotate(n=Count("pk"))
            .values_list("member_id", "n")
        )
        eligible = [m for m in eligible if held.get(m.pk, 0) < template.per_member_limit]
    if template.stock is not None:
        eligible = eligible[: max(template.stock - template.issued_count, 0)]
    if template.budget_fen is not None:
        room = template.budget_fen - template.budget_used_fen
        if template.liability_fen > 0:
            eligible = eligible[: max(room // template.liability_fen, 0)]
        elif room < 0:
            eligible = []
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
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                created_at=now,
                actor=actor.staff,
                actor_label=actor.label,
                terminal=actor.terminal,
                store_id=actor.store_id,
                action="coupon.issued",
                subject_type="coupon",
                subject_id=str(c.pk),
                member_id=c.member_id,
                after=after,
            )
            for c in coupons
        ]
    )
    subscribed = has_subscribers("coupon.issued")
    events = []
    for c in coupons:
        payload = {"coupon_id": c.pk, "template_id": template.pk, "channel": channel}
        payload_check("coupon.issued", payload)
        events.append(
            OutboxEvent(
                name="coupon.issued",
                payload=payload,
                member_id=c.member_id,
                store_id=actor.store_id,
                occurred_at=now,
                status=OutboxEvent.Status.PENDING if subscribed else OutboxEvent.Status.DONE,
                next_attempt_at=now if subscribed else None,
                dispatched_at=None if subscribed else now,
            )
        )
    OutboxEvent.objects.bulk_create(events)
    if subscribed:
        dispatch_after_commit()
    return {c.member_id: c for c in coupons}


class _TemplateRefusals:
    """Refusals that hold for every member (the template, not the member, says no)."""

    codes = frozenset(
        {
            "coupon_template_stopped",
            "coupon_template_expired",
            "coupon_out_of_stock",
            "coupon_budget_exhausted",
        }
    )

    def __contains__(self, refusal: object) -> bool:
        return isinstance(refusal, Conflict) and refusal.code in self.codes


_TEMPLATE_REFUSALS = _TemplateRefusals()


def _recipients_write(rows: list[CampaignRecipient]) -> None:
    CampaignRecipient.objects.bulk_create(rows)


def _chunk(campaign_id: int) -> bool:
    """Serve the next ``CHUNK`` members in one transaction with set-based look-ups: who was
    served, consent, addresses, coupons, template variables, then bulk inserts of the
    coupons, deliveries and recipient rows. The statements do not grow with the chunk.
    True while there are more."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status != Campaign.Status.RUNNING:
        return False
    ids = list(campaign_audience(campaign).filter(pk__gt=campaign.last_member_id)[:CHUNK])
    served = set(
        CampaignRecipient.objects.filter(campaign=campaign, member_id__in=ids).values_list(
            "member_id", flat=True
        )
    )
    fresh = [pk for pk in ids if pk not in served]
    members = Member.objects.select_related("home_store").in_bulk(fresh) if fresh else {}
    denied = sending.marketing_denied(set(members))
    now = timezone.now()
    rows: list[CampaignRecipient] = []
    targets: list[tuple[Member, str]] = []
    for pk in fresh:
        member = members.get(pk)
        if member is None:
            continue
        to = "" if pk in denied else sending.member_address(member, campaign.channel)
        if pk in denied or not to:
            status = (
                CampaignRecipient.Status.OPTED_OUT
                if pk in denied
                else CampaignRecipient.Status.NO_ADDRESS
            )
            rows.append(
                CampaignRecipient(campaign=campaign, member_id=pk, status=status, created_at=now)
            )
            continue
        targets.append((member, to))
    coupons: dict[int, Coupon] = {}
    template_name = ""
    if campaign.coupon_template_id and targets:
        template = template_locked(campaign.coupon_template_id)
        template_name = template.name
        coupons = coupons_issue_bulk(
            actor=_actor_of(campaign),
            template=template,
            members=[m for m, _to in targets],
            now=now,
            source=f"campaign:{campaign.pk}",
        )
    contexts = members_context(m for m, _to in targets)
    items = []
    for member, to in targets:
        coupon = coupons.get(member.pk)
        text = _coupon_text(template_name, coupon.code) if coupon is not None else ""
        items.append(sending.Outgoing(member.pk, to, {**contexts[member.pk], "coupon": text}))
    deliveries = (
        sending.deliveries_queue_bulk(
            template=campaign.template_code,
            channel=campaign.channel,
            items=items,
            kind=MessageKind.MARKETING,
            campaign_id=campaign.pk,
        )
        if items
        else []
    )
    for (member, _to), delivery in zip(targets, deliveries, strict=True):
        rows.append(
            CampaignRecipient(
                campaign=campaign,
                member_id=member.pk,
                status=CampaignRecipient.Status.SENT,
                delivery=delivery,
                coupon=coupons.get(member.pk),
                created_at=now,
            )
        )
    _recipients_write(rows)
    if ids:
        campaign.done += len(ids)
        campaign.last_member_id = ids[-1]
    more = len(ids) == CHUNK
    if not more:
        campaign.status = Campaign.Status.DONE
        campaign.finished_at = now
        campaign.total = max(campaign.total, campaign.done)
    campaign.heartbeat_at = now
    campaign.save()
    return more


def campaign_run(campaign_id: int, *, max_chunks: int | None = None) -> Campaign:
    """Run (or resume) a campaign, one short transaction per chunk, sending after each."""
    chunks = 0
    try:
        while True:
            more = atomic_retry(lambda: _chunk(campaign_id))
            sending.enqueue_sweep()
            chunks += 1
            if not more or (max_chunks is not None and chunks >= max_chunks):
                break
    except Exception as exc:
        Campaign.objects.filter(pk=campaign_id).update(
            status=Campaign.Status.FAILED, error=str(exc)[:500]
        )
        raise
    return Campaign.objects.get(pk=campaign_id)


def campaigns_stalled(now: dt.datetime | None = None) -> list[int]:
    """Running campaigns whose worker has not committed a chunk for a while (it died)."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(
            status=Campaign.Status.RUNNING, heartbeat_at__lt=now - STALLED_AFTER
        ).values_list("pk", flat=True)
    )


def campaigns_resume_stalled(now: dt.datetime | None = None) -> list[int]:
    from huiyuan.care.tasks import run_campaign

    ids = campaigns_stalled(now)
    for pk in ids:
        Campaign.objects.filter(pk=pk).update(heartbeat_at=timezone.now())
        run_campaign.enqueue(pk)
    return ids


@dataclass(frozen=True)
class CampaignReport:
    total: int
    done: int
    queued: int
    sent: int
    failed: int
    opted_out: int
    capped: int
    no_address: int
    coupons: int
    redeemed: int


def campaign_report(campaign: Campaign) -> CampaignReport:
    """Sent, failed, opted out, and later redeemed (the attached coupon used)."""
    recipients = dict(
        CampaignRecipient.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    deliveries: dict[tuple[str, str], int] = {}
    for status, reason, n in (
        Delivery.objects.filter(campaign=campaign)
        .values_list("status", "reason")
        .annotate(n=Count("pk"))
        .values_list("status", "reason", "n")
    ):
        deliveries[(status, reason)] = deliveries.get((status, reason), 0) + n

    def count(status: str, reason: str | None = None) -> int:
        return sum(
            n for (s, r), n in deliveries.items() if s == status and (reason is None or r == reason)
        )

    coupons = Coupon.objects.filter(source=f"campaign:{campaign.pk}")
    return CampaignReport(
        total=campaign.total,
        done=campaign.done,
        queued=count(Delivery.Status.QUEUED),
        sent=count(Delivery.Status.SENT) + count(Delivery.Status.DELIVERED),
        failed=count(Delivery.Status.FAILED),
        opted_out=recipients.get(CampaignRecipient.Status.OPTED_OUT, 0)
        + count(Delivery.Status.SUPPRESSED, "opted_out"),
        capped=count(Delivery.Status.SUPPRESSED, "capped"),
        no_address=recipients.get(CampaignRecipient.Status.NO_ADDRESS, 0),
        coupons=coupons.count(),
        redeemed=coupons.filter(status=Coupon.Status.USED).count(),
    )
