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
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.care import sending
from huiyuan.care.context import members_context
from huiyuan.care.models import Campaign, CampaignRecipient, ChannelKind, Delivery, MessageKind
from huiyuan.care.templates import wording_for
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, Role, require
from huiyuan.core.retry import atomic_retry
from huiyuan.coupons.models import Coupon, CouponTemplate
from huiyuan.coupons.services.batch import MemberFilter, members_matching, segment_usable
from huiyuan.coupons.services.bulk import coupons_issue_bulk
from huiyuan.coupons.services.templates import template_locked
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
    """Whom the campaign acts for: its creator as of today, within the stores the creator
    reached when creating it (kept as ``scope_store_ids``: a store's API key, say)."""
    actor = campaign.created_by.as_actor() if campaign.created_by is not None else SYSTEM
    saved = (campaign.member_filter or {}).get("scope_store_ids")
    if saved is None:
        return actor
    reach = frozenset(int(pk) for pk in saved)
    return replace(actor, store_ids=reach if actor.store_ids is None else actor.store_ids & reach)


def campaign_audience(campaign: Campaign) -> QuerySet[Any]:
    """Ids of the members the campaign serves (its segment, else its filter), in id order,
    within the stores its creator reaches."""
    if campaign.segment_id is not None:
        segment = Segment.objects.filter(pk=campaign.segment_id).first()
        if segment is None:
            return Member.objects.none().values_list("pk", flat=True)
        return segment_member_ids(segment, actor=_actor_of(campaign)).order_by("pk")
    flt = MemberFilter.from_dict(campaign.member_filter or {})
    return (
        members_matching(flt, actor=_actor_of(campaign)).values_list("pk", flat=True).order_by("pk")
    )


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
    if data.segment_id is not None and not segment_usable(actor, data.segment_id):
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
            member_filter={
                **(data.member_filter or {}),
                "scope_store_ids": None if actor.store_ids is None else sorted(actor.store_ids),
            },
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
