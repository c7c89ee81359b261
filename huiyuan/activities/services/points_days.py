"""Double-points days (积分翻倍日) as data: which days, stores and multiplier.

The earn engine applies them (``checkout.hooks.points_boost_for`` → ``EarnContext``
``boost_multiplier_pct``), and the receipt names the day in its explanation. When several
days match, the largest multiplier applies (they do not stack).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.activities.models import PointsDay
from huiyuan.audit.services import audit_record
from huiyuan.core.clock import local_date
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.stores.models import Store


@dataclass
class PointsDayInput:
    name: str
    multiplier_pct: int = 200
    dates: list[dt.date] = field(default_factory=list)
    weekdays: list[int] = field(default_factory=list)
    store_ids: list[int] = field(default_factory=list)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    active: bool = True


def _check(data: PointsDayInput) -> dict[str, object]:
    name = (data.name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed(
            _("Give a name of at most 60 characters."), code="invalid_name", field="name"
        )
    pct = data.multiplier_pct
    if not isinstance(pct, int) or isinstance(pct, bool) or not 101 <= pct <= 1000:
        raise ValidationFailed(
            _("Give the multiplier in percent, from 101 to 1000."),
            code="invalid_multiplier",
            field="multiplier_pct",
        )
    weekdays = sorted(set(data.weekdays or []))
    if any(not isinstance(w, int) or not 1 <= w <= 7 for w in weekdays):
        raise ValidationFailed(
            _("Weekdays are 1 (Monday) to 7."), code="invalid_weekday", field="weekdays"
        )
    dates = sorted(set(data.dates or []))
    if not dates and not weekdays:
        raise ValidationFailed(_("Choose dates or weekdays."), code="days_required", field="dates")
    ids = sorted(set(data.store_ids or []))
    if Store.objects.filter(pk__in=ids).count() != len(ids):
        raise ValidationFailed(_("Unknown store."), code="invalid_store", field="store_ids")
    if data.valid_from and data.valid_to and data.valid_to < data.valid_from:
        raise ValidationFailed(
            _("The end must come after the start."), code="ends_before_start", field="valid_to"
        )
    return {
        "name": name,
        "multiplier_pct": pct,
        "dates": [d.isoformat() for d in dates],
        "weekdays": weekdays,
        "store_ids": ids,
        "valid_from": data.valid_from,
        "valid_to": data.valid_to,
        "active": bool(data.active),
    }


def points_day_save(*, actor: Actor, data: PointsDayInput, day_id: int | None = None) -> PointsDay:
    """Create (``day_id`` None) or change a double-points day."""
    require(actor, Perm.ACTIVITY_MANAGE)
    fields = _check(data)

    def perform() -> PointsDay:
        now = timezone.now()
        if day_id is None:
            row = PointsDay.objects.create(created_at=now, updated_at=now, **fields)
            before: dict[str, object] = {}
        else:
            found = PointsDay.objects.select_for_update().filter(pk=day_id).first()
            if found is None:
                raise NotFound(_("Double-points day not found."), code="points_day_not_found")
            row = found
            before = {"multiplier_pct": row.multiplier_pct, "active": row.active}
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = now
            row.save()
        audit_record(
            actor=actor,
            action="points_day.saved",
            subject_type="points_day",
            subject_id=row.pk,
            before=before,
            after={
                "multiplier_pct": row.multiplier_pct,
                "dates": row.dates,
                "weekdays": row.weekdays,
                "active": row.active,
            },
        )
        return row

    return atomic_retry(perform)


def points_day_matches(row: PointsDay, store_id: int | None, day: dt.date) -> bool:
    if not row.active:
        return False
    if row.store_ids and store_id not in row.store_ids:
        return False
    if (row.valid_from and day < row.valid_from) or (row.valid_to and day > row.valid_to):
        return False
    return day.isoformat() in (row.dates or []) or day.isoweekday() in (row.weekdays or [])


def points_day_in_force(store_id: int | None, at: dt.datetime) -> PointsDay | None:
    """The double-points day matching the local date of ``at`` at ``store_id`` (largest)."""
    day = local_date(at)
    best: PointsDay | None = None
    for row in PointsDay.objects.filter(active=True):
        if points_day_matches(row, store_id, day) and (
            best is None or row.multiplier_pct > best.multiplier_pct
        ):
            best = row
    return best
