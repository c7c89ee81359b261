"""Reads of care: the delivery log, templates (built-in and the merchant's), campaigns,
rules, the development outbox and a member's inbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from huiyuan.care.channels import channel_settings
from huiyuan.care.models import (
    Campaign,
    CareDate,
    CareRule,
    ChannelKind,
    Delivery,
    InboxMessage,
    MessageTemplate,
    OutboxMessage,
)
from huiyuan.care.templates import BUILTIN
from huiyuan.core.permissions import Actor, Perm, require


def deliveries_list(
    *,
    actor: Actor,
    channel: str = "",
    status: str = "",
    template: str = "",
    campaign_id: int | None = None,
    member_id: int | None = None,
) -> QuerySet[Delivery]:
    """The delivery log, newest first (chain-wide: messages are a head-office matter; a
    store-scoped actor sees its stores' members' messages and the addressless ones)."""
    require(actor, Perm.CARE_VIEW)
    qs = Delivery.objects.select_related("member").order_by("-pk")
    if actor.store_ids is not None:
        qs = qs.filter(Q(member__home_store_id__in=actor.store_ids))
    if channel:
        qs = qs.filter(channel=channel)
    if status:
        qs = qs.filter(status=status)
    if template:
        qs = qs.filter(template_code=template)
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    if member_id is not None:
        qs = qs.filter(member_id=member_id)
    return qs


@dataclass(frozen=True)
class ChannelRow:
    kind: str
    label: str
    backend: str
    counts: dict[str, int]

    @property
    def sent(self) -> int:
        return self.counts.get("sent", 0) + self.counts.get("delivered", 0)

    @property
    def failed(self) -> int:
        return self.counts.get("failed", 0)

    @property
    def queued(self) -> int:
        return self.counts.get("queued", 0)


def channel_rows(*, actor: Actor, days: int = 7) -> list[ChannelRow]:
    """Each channel, its configured backend and the last ``days`` days' outcomes."""
    require(actor, Perm.CARE_VIEW)
    since = timezone.now() - dt.timedelta(days=days)
    counts: dict[str, dict[str, int]] = {}
    for channel, status, n in (
        Delivery.objects.filter(created_at__gte=since)
        .values_list("channel", "status")
        .annotate(n=Count("pk"))
        .values_list("channel", "status", "n")
    ):
        counts.setdefault(channel, {})[status] = n
    conf = channel_settings()
    return [
        ChannelRow(
            kind=kind.value,
            label=str(kind.label),
            backend=str((conf.get(kind.value) or {}).get("BACKEND", "")),
            counts=counts.get(kind.value, {}),
        )
        for kind in ChannelKind
    ]


@dataclass(frozen=True)
class TemplateRow:
    code: str
    name: str
    kind: str
    builtin: bool
    overrides: dict[str, MessageTemplate]  # channel → the merchant's wording
    body: str  # the built-in wording (or the first override)


def template_rows(*, actor: Actor) -> list[TemplateRow]:
    require(actor, Perm.CARE_VIEW)
    saved: dict[str, dict[str, MessageTemplate]] = {}
    for row in MessageTemplate.objects.order_by("code", "channel"):
        saved.setdefault(row.code, {})[row.channel] = row
    rows = []
    for code, (name, kind, _subject, body) in BUILTIN.items():
        rows.append(TemplateRow(code, name, kind, True, saved.pop(code, {}), body))
    for code, overrides in saved.items():
        first = next(iter(overrides.values()))
        rows.append(TemplateRow(code, first.name, first.kind, False, overrides, first.body))
    return rows


def template_codes(*, kind: str = "") -> list[tuple[str, str]]:
    """(code, name) of every template, optionally of one kind."""
    found: dict[str, str] = {}
    for code, (name, k, _s, _b) in BUILTIN.items():
        if not kind or k == kind:
            found[code] = name
    for code, name, k in MessageTemplate.objects.values_list("code", "name", "kind"):
        if not kind or k == kind:
            found.setdefault(code, name)
    return sorted(found.items())


def campaigns_list(*, actor: Actor) -> QuerySet[Campaign]:
    require(actor, Perm.CARE_VIEW)
    return Campaign.objects.select_related("created_by", "coupon_template").order_by("-pk")


def rules_by_kind(*, actor: Actor) -> dict[str, CareRule]:
    require(actor, Perm.CARE_VIEW)
    return {r.kind: r for r in CareRule.objects.select_related("coupon_template")}


def care_dates(*, actor: Actor) -> list[CareDate]:
    """The chosen special dates and holidays, in calendar order."""
    require(actor, Perm.CARE_VIEW)
    return list(CareDate.objects.order_by("calendar", "month", "day", "date", "pk")[:500])


def outbox_list(*, actor: Actor, channel: str = "") -> QuerySet[OutboxMessage]:
    require(actor, Perm.CARE_VIEW)
    qs = OutboxMessage.objects.order_by("-pk")
    return qs.filter(channel=channel) if channel else qs


def inbox_for_member(member_id: int) -> QuerySet[InboxMessage]:
    """A member's inbox, newest first (the portal shows only the signed-in member's)."""
    return InboxMessage.objects.filter(member_id=member_id).order_by("-pk")


def inbox_unread_count(member_id: int) -> int:
    return InboxMessage.objects.filter(member_id=member_id, read_at__isnull=True).count()


def inbox_mark_read(member_id: int, message_id: int | None = None) -> int:
    """Mark one message (or all) of the member read; how many changed."""
    qs = InboxMessage.objects.filter(member_id=member_id, read_at__isnull=True)
    if message_id is not None:
        qs = qs.filter(pk=message_id)
    return qs.update(read_at=timezone.now())


def delivery_out(row: Delivery) -> dict[str, Any]:
    return {
        "id": row.pk,
        "channel": row.channel,
        "kind": row.kind,
        "template": row.template_code,
        "member_id": row.member_id,
        "recipient": row.recipient_masked,
        "status": row.status,
        "reason": row.reason,
        "attempts": row.attempts,
        "provider_id": row.provider_id,
        "provider_response": row.provider_response,
        "receipt": row.receipt,
        "last_error": row.last_error,
        "campaign_id": row.campaign_id,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
        "delivered_at": row.delivered_at,
        "next_attempt_at": row.next_attempt_at,
    }
