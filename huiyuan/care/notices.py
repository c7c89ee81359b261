"""Activity change notices (活动变更通知) sent through care.

``huiyuan.activities`` records a ``Notice`` (what changed, to whom) when a published
activity changes or is cancelled, and emits ``activity.changed`` / ``activity.ended``. The
event dispatcher (a worker) hands the event to ``subscribers.activity_notice``, which calls
``activity_notice_send``: one transactional ``activity_changed`` message per participant,
each once (a ``CareOnce`` row keyed ``activity_notice:<notice id>``, unique per member, in
the transaction of the delivery), however often the event is delivered. The channel is
``HUIYUAN_CARE_ACTIVITY_CHANNEL`` (default SMS).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from huiyuan.activities.models import Activity, Notice
from huiyuan.care import sending
from huiyuan.care.context import members_context
from huiyuan.care.models import CareOnce, ChannelKind, MessageKind
from huiyuan.core.clock import local_time
from huiyuan.members.models import Member

TEMPLATE = "activity_changed"


def _moment(value: Any) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return f"{moment:%m月%d日 %H:%M}"
    return f"{local_time(moment):%m月%d日 %H:%M}"


def changes_text(changes: dict[str, Any]) -> str:
    """What changed, as the message says it: ``时间改为12月05日 14:00；地点改为二楼``."""
    parts = []

    def new(name: str) -> Any:
        value = changes.get(name)
        return value.get("to") if isinstance(value, dict) else value

    status = new("status")
    if status == Activity.Status.CANCELLED:
        return "活动已取消，已付费用将退回"
    if "starts_at" in changes:
        parts.append(f"开始时间改为{_moment(new('starts_at'))}")
    if "ends_at" in changes:
        parts.append(f"结束时间改为{_moment(new('ends_at'))}")
    if "location" in changes:
        parts.append(f"地点改为{new('location') or '待定'}")
    if "name" in changes:
        parts.append(f"活动名称改为“{new('name')}”")
    if "description" in changes:
        parts.append("活动详情有更新")
    return "；".join(parts) or "活动信息有更新"


def notice_for(activity_id: int, *, version: int | None, cancelled: bool) -> Notice | None:
    """The notice an ``activity.changed`` (its version) or a cancellation recorded."""
    for notice in Notice.objects.filter(activity_id=activity_id).order_by("-pk")[:20]:
        is_cancel = "status" in (notice.changes or {})
        if cancelled and is_cancel:
            return notice
        if not cancelled and not is_cancel and notice.version == version:
            return notice
    return None


def activity_notice_send(notice: Notice) -> int:
    """Queue the notice to each participant who has not had it yet: messages queued."""
    key = f"activity_notice:{notice.pk}"
    channel = str(getattr(settings, "HUIYUAN_CARE_ACTIVITY_CHANNEL", ChannelKind.SMS))
    now = timezone.now()
    with transaction.atomic():
        ids = [int(pk) for pk in notice.member_ids or []]
        done = set(
            CareOnce.objects.filter(key=key, member_id__in=ids).values_list("member_id", flat=True)
        )
        members = Member.objects.select_related("home_store").in_bulk(
            [pk for pk in ids if pk not in done]
        )
        activity = Activity.objects.get(pk=notice.activity_id)
        text = changes_text(notice.changes or {})
        contexts = members_context(members.values())
        onces, items, served = [], [], []
        for pk, member in members.items():
            to = sending.member_address(member, channel)
            if not to:
                onces.append(CareOnce(key=key, member_id=pk, created_at=now))
                continue
            context = {**contexts[pk], "activity": activity.name, "changes": text}
            items.append(sending.Outgoing(pk, to, context))
            served.append(pk)
        deliveries = (
            sending.deliveries_queue_bulk(
                template=TEMPLATE, channel=channel, items=items, kind=MessageKind.TRANSACTIONAL
            )
            if items
            else []
        )
        for pk, delivery in zip(served, deliveries, strict=True):
            onces.append(CareOnce(key=key, member_id=pk, delivery=delivery, created_at=now))
        CareOnce.objects.bulk_create(onces)
        if deliveries:
            Notice.objects.filter(pk=notice.pk).update(channel="care")
            sending.sweep_after_commit()
    return len(deliveries)
