"""Special dates and holidays the merchant chose (Cm2): 三八节 03-08, 春节 正月初一,
中秋 八月十五, or a one-off day, each with a template and an optional coupon.

The daily ``care_rules`` job asks each active ``CareDate`` whether it falls on today plus
its days ahead (in the business time zone: a run at 07:30 in Shanghai is 23:30 UTC the day
before). On its day every active member is served once for that occurrence — the key is
``date:<id>:<year>`` (``date:<id>:lunar<lunar year>`` for a lunar date, the date itself for
a one-off one) in a ``CareOnce`` row, unique per member, written with the delivery — in
chunks of ``CHUNK`` members under the date's row lock, with set-based look-ups (consent,
addresses, template variables, coupons) and bulk inserts. A job run twice, or two at once,
sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.care import sending
from huiyuan.care.context import members_context
from huiyuan.care.models import CareDate, CareOnce, ChannelKind, MessageKind
from huiyuan.care.templates import wording_for
from huiyuan.core import china
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, Role, require
from huiyuan.core.retry import atomic_retry
from huiyuan.coupons.models import Coupon, CouponTemplate
from huiyuan.coupons.services.bulk import coupons_issue_bulk
from huiyuan.coupons.services.templates import template_locked
from huiyuan.members.models import Member

log = logging.getLogger(__name__)
CHUNK = 500
SYSTEM = Actor(role=Role.OWNER)
DEFAULT_TEMPLATE = "holiday"


@dataclass(frozen=True)
class CareDateInput:
    name: str
    calendar: str
    month: int | None = None
    day: int | None = None
    date: dt.date | None = None
    template_code: str = DEFAULT_TEMPLATE
    channel: str = ChannelKind.SMS
    days_ahead: int = 0
    coupon_template_id: int | None = None
    is_active: bool = True


def _check(data: CareDateInput) -> CareDateInput:
    name = data.name.strip()
    if not name:
        raise ValidationFailed(
            _("Name the occasion."), code="care_date_name_required", field="name"
        )
    if data.calendar not in CareDate.Calendar.values:
        raise ValidationFailed(
            _("Choose solar, lunar or a one-off date."), code="care_date_calendar", field="calendar"
        )
    month, day, date = data.month, data.day, data.date
    if data.calendar == CareDate.Calendar.ONCE:
        if date is None:
            raise ValidationFailed(_("Pick the date."), code="care_date_required", field="date")
        month = day = None
    else:
        date = None
        if month is None or day is None or not 1 <= month <= 12:
            raise ValidationFailed(
                _("This date does not exist."), code="care_date_invalid", field="month"
            )
        if data.calendar == CareDate.Calendar.SOLAR:
            try:
                dt.date(2000, month, day)  # a leap year: 02-29 is a date
            except ValueError:
                raise ValidationFailed(
                    _("This date does not exist."), code="care_date_invalid", field="day"
                ) from None
        elif not 1 <= day <= 30:
            raise ValidationFailed(
                _("This lunar date does not exist."), code="care_date_invalid", field="day"
            )
    if data.channel not in ChannelKind.values:
        raise ValidationFailed(_("Unknown channel."), code="care_channel_unknown", field="channel")
    if wording_for(data.template_code, data.channel) is None:
        raise ValidationFailed(
            _("Unknown message template."), code="care_template_unknown", field="template_code"
        )
    if not 0 <= data.days_ahead <= 60:
        raise ValidationFailed(
            _("Days ahead must be between 0 and 60."), code="care_days_ahead", field="days_ahead"
        )
    if data.coupon_template_id is not None:
        template = CouponTemplate.objects.filter(pk=data.coupon_template_id).first()
        if template is None or template.status != CouponTemplate.Status.ACTIVE:
            raise ValidationFailed(
                _("This coupon template is stopped."),
                code="coupon_template_stopped",
                field="coupon_template_id",
            )
    return CareDateInput(
        name=name[:60],
        calendar=data.calendar,
        month=month,
        day=day,
        date=date,
        template_code=data.template_code,
        channel=data.channel,
        days_ahead=data.days_ahead,
        coupon_template_id=data.coupon_template_id,
        is_active=data.is_active,
    )


def care_date_save(
    *, actor: Actor, data: CareDateInput, care_date_id: int | None = None
) -> CareDate:
    """Create (or change) a chosen special date."""
    require(actor, Perm.CARE_MANAGE)
    data = _check(data)
    fields = {
        "name": data.name,
        "calendar": data.calendar,
        "month": data.month,
        "day": data.day,
        "date": data.date,
        "template_code": data.template_code,
        "channel": data.channel,
        "days_ahead": data.days_ahead,
        "coupon_template_id": data.coupon_template_id,
        "is_active": data.is_active,
        "updated_at": timezone.now(),
    }
    with transaction.atomic():
        if care_date_id is None:
            row = CareDate.objects.create(**fields)
            before = None
        else:
            found = CareDate.objects.select_for_update().filter(pk=care_date_id).first()
            if found is None:
                raise NotFound(_("Unknown special date."), code="care_date_not_found")
            row = found
            before = {"name": row.name, "when": care_date_label(row), "active": row.is_active}
            for key, value in fields.items():
                setattr(row, key, value)
            row.save()
        audit_record(
            actor=actor,
            action="care_date.saved",
            subject_type="care_date",
            subject_id=row.pk,
            before=before,
            after={
                "name": row.name,
                "when": care_date_label(row),
                "template": row.template_code,
                "channel": row.channel,
                "days_ahead": row.days_ahead,
                "active": row.is_active,
            },
        )
    return row


LUNAR_MONTHS = "正二三四五六七八九十冬腊"
LUNAR_DAYS = (
    ["初一", "初二", "初三", "初四", "初五", "初六", "初七", "初八", "初九", "初十"]
    + [f"十{c}" for c in "一二三四五六七八九"]
    + ["二十"]
    + [f"廿{c}" for c in "一二三四五六七八九"]
    + ["三十"]
)


def care_date_label(row: CareDate) -> str:
    """How the date reads: ``03-08``, ``农历正月初一``, ``2026-12-24``."""
    if row.calendar == CareDate.Calendar.ONCE and row.date is not None:
        return row.date.isoformat()
    if row.month is None or row.day is None:
        return ""
    if row.calendar == CareDate.Calendar.LUNAR:
        return f"农历{LUNAR_MONTHS[row.month - 1]}月{LUNAR_DAYS[row.day - 1]}"
    return f"{row.month:02d}-{row.day:02d}"


def care_date_occasion(row: CareDate, target: dt.date) -> str | None:
    """The occasion key when ``row`` falls on ``target`` (None: not that day)."""
    if row.calendar == CareDate.Calendar.ONCE:
        return f"date:{row.pk}:{target.isoformat()}" if row.date == target else None
    if row.month is None or row.day is None:
        return None
    if row.calendar == CareDate.Calendar.SOLAR:
        if (target.month, target.day) == (row.month, row.day):
            return f"date:{row.pk}:{target.year}"
        leap_year = target.year % 4 == 0 and (target.year % 100 != 0 or target.year % 400 == 0)
        if (row.month, row.day) == (2, 29) and (target.month, target.day) == (2, 28):
            return f"date:{row.pk}:{target.year}" if not leap_year else None
        return None
    lunar_year, month, day, leap = china.solar_to_lunar(target)
    if leap or month != row.month or day not in (row.day, row.day - 1):
        return None
    try:  # a 30th in a month of 29 days is kept on the 29th
        date = china.lunar_birthday_in_year(row.month, row.day, lunar_year)
    except ValidationFailed:
        return None
    return f"date:{row.pk}:lunar{lunar_year}" if date == target else None


def _chunk(care_date_id: int, key: str, after: int, now: dt.datetime) -> tuple[int, int, bool]:
    """Serve the next members for this occurrence: (served, last member id, more)."""
    row = CareDate.objects.select_for_update().get(pk=care_date_id)  # one run at a time
    ids = list(
        Member.objects.filter(status=Member.Status.ACTIVE, pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[:CHUNK]
    )
    if not ids:
        return 0, after, False
    done = set(
        CareOnce.objects.filter(key=key, member_id__in=ids).values_list("member_id", flat=True)
    )
    fresh = [pk for pk in ids if pk not in done]
    members = Member.objects.select_related("home_store").in_bulk(fresh) if fresh else {}
    wording = wording_for(row.template_code, row.channel)
    marketing = wording is not None and wording.kind == MessageKind.MARKETING
    denied = sending.marketing_denied(set(members)) if marketing else set()
    onces: list[CareOnce] = []
    targets: list[tuple[Member, str]] = []
    for pk in fresh:
        member = members[pk]
        to = "" if pk in denied else sending.member_address(member, row.channel)
        if to and wording is not None:
            targets.append((member, to))
        else:  # served: they said no (asked again next occasion), or no address
            onces.append(CareOnce(key=key, member_id=pk, created_at=now))
    coupons: dict[int, Coupon] = {}
    coupon_name = ""
    if row.coupon_template_id and targets:
        template = template_locked(row.coupon_template_id)
        coupon_name = template.name
        coupons = coupons_issue_bulk(
            actor=SYSTEM,
            template=template,
            members=[m for m, _to in targets],
            now=now,
            source=f"care:{key}"[:60],
            channel=Coupon.Channel.EVENT,
        )
    contexts = members_context(m for m, _to in targets)
    items = []
    for member, to in targets:
        coupon = coupons.get(member.pk)
        text = f"送您一张“{coupon_name}”，券码{coupon.code}。" if coupon is not None else ""
        items.append(
            sending.Outgoing(
                member.pk, to, {**contexts[member.pk], "occasion": row.name, "coupon": text}
            )
        )
    deliveries = (
        sending.deliveries_queue_bulk(template=row.template_code, channel=row.channel, items=items)
        if items
        else []
    )
    for (member, _to), delivery in zip(targets, deliveries, strict=True):
        onces.append(CareOnce(key=key, member_id=member.pk, delivery=delivery, created_at=now))
    CareOnce.objects.bulk_create(onces)
    return len(deliveries), ids[-1], len(ids) == CHUNK


def care_date_serve(row: CareDate, key: str, now: dt.datetime) -> int:
    """Serve every active member once for this occurrence; messages queued."""
    if wording_for(row.template_code, row.channel) is None:  # removed since: serve nobody
        log.warning("care date %s names unknown template %s", row.pk, row.template_code)
        return 0
    served, after, more = 0, 0, True
    while more:
        n, after, more = atomic_retry(lambda: _chunk(row.pk, key, after, now))  # noqa: B023
        served += n
        if n:
            sending.enqueue_sweep()
    return served


def care_dates_run(today: dt.date, now: dt.datetime) -> dict[str, int]:
    """The chosen dates falling on today (plus their days ahead): members served per date
    (``date:<id>``)."""
    served: dict[str, int] = {}
    for row in CareDate.objects.filter(is_active=True).order_by("pk"):
        key = care_date_occasion(row, today + dt.timedelta(days=row.days_ahead))
        if key is not None:
            served[f"date:{row.pk}"] = care_date_serve(row, key, now)
    return served
