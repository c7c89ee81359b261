"""Promotions (促销) as versioned data for the pricing engine, and the holiday calendar.

A published version never changes its past: a new version starts now or later and ends
the previous one's future at its start; ``promotion_end`` ends the current one. A sale
keeps the id and version of every promotion that adjusted it, so it can be explained again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.checkout.models import Holiday, Promotion
from huiyuan.core.bounds import check_business_moment
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger.commands import command_run

MAX_VALUE_FEN = 100_000_000


@dataclass(frozen=True)
class PromotionInput:
    code: str
    name: str
    kind: str
    value: int
    product_ids: tuple[int, ...] = ()
    category_codes: tuple[str, ...] = ()
    store_ids: tuple[int, ...] = ()
    weekdays: tuple[int, ...] = ()
    on_holidays: bool = False
    date_ranges: tuple[tuple[dt.date, dt.date], ...] = ()
    effective_to: dt.datetime | None = None
    priority: int = 100
    stacking: str = Promotion.Stacking.BEST_OF


def _invalid(message: object, code: str, field_name: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field_name)  # type: ignore[arg-type]


def _check(data: PromotionInput, start: dt.datetime) -> None:
    code = (data.code or "").strip()
    if not code or len(code) > 40 or not all(c.isalnum() or c in "-_" for c in code):
        raise _invalid(_("Enter a code of letters, digits, - and _."), "invalid_code", "code")
    if not (data.name or "").strip() or len(data.name) > 60:
        raise _invalid(_("Enter a name (at most 60 characters)."), "name_required", "name")
    if data.kind not in Promotion.Kind.values:
        raise _invalid(_("Unknown promotion kind."), "invalid_kind", "kind")
    value_ok = isinstance(data.value, int) and not isinstance(data.value, bool)
    if data.kind == Promotion.Kind.PERCENT_OFF:
        value_ok = value_ok and 1 <= data.value <= 999
    elif data.kind == Promotion.Kind.AMOUNT_OFF_PER_UNIT:
        value_ok = value_ok and 1 <= data.value <= MAX_VALUE_FEN
    else:
        value_ok = value_ok and 0 <= data.value <= MAX_VALUE_FEN
    if not value_ok:
        raise _invalid(_("The promotion's value is out of range."), "invalid_value", "value")
    if any(not 1 <= d <= 7 for d in data.weekdays):
        raise _invalid(_("Weekdays are 1 (Monday) to 7 (Sunday)."), "invalid_weekday", "weekdays")
    for first, last in data.date_ranges:
        check_business_moment(first, field="date_ranges")
        check_business_moment(last, field="date_ranges")
        if first > last:
            raise _invalid(_("A date range ends before it starts."), "invalid_dates", "date_ranges")
    if data.effective_to is not None:
        check_business_moment(data.effective_to, field="effective_to")
        if data.effective_to <= start:
            raise _invalid(
                _("It must end after it starts."), "invalid_effective_to", "effective_to"
            )
    if data.stacking not in Promotion.Stacking.values:
        raise _invalid(_("Unknown stacking."), "invalid_stacking", "stacking")


def promotion_publish(
    *,
    actor: Actor,
    data: PromotionInput,
    effective_from: dt.datetime | None = None,
    idempotency_key: str = "",
) -> Promotion:
    """Publish a promotion, or a new version of one, from now or later.

    With ``idempotency_key`` a retried request returns the version the first one published
    (it never publishes a second version)."""
    require(actor, Perm.CATALOG_MANAGE)
    if idempotency_key:
        return command_run(
            actor=actor,
            key=idempotency_key,
            kind="promotion.publish",
            payload={**asdict(data), "effective_from": effective_from},
            perform=lambda: _publish(actor=actor, data=data, effective_from=effective_from),
            load=lambda pk: Promotion.objects.get(pk=pk),
        )
    return _publish(actor=actor, data=data, effective_from=effective_from)


def _publish(
    *, actor: Actor, data: PromotionInput, effective_from: dt.datetime | None
) -> Promotion:
    check_business_moment(effective_from, field="effective_from")
    now = timezone.now()
    start = effective_from or now
    if start < now:
        raise _invalid(
            _("A promotion cannot start in the past; choose now or later."),
            "effective_from_in_past",
            "effective_from",
        )
    _check(data, start)
    with transaction.atomic():
        previous = (
            Promotion.objects.select_for_update()
            .filter(code=data.code)
            .order_by("-version")
            .first()
        )
        if previous is not None:
            if start <= previous.effective_from:
                raise _invalid(
                    _("A new version must start after the current one."),
                    "invalid_effective_from",
                    "effective_from",
                )
            if previous.effective_to is None or previous.effective_to > start:
                previous.effective_to = start
                previous.save(update_fields=["effective_to"])
        promotion = _create(
            code=data.code.strip(),
            version=(previous.version + 1) if previous else 1,
            name=data.name.strip(),
            kind=data.kind,
            value=data.value,
            product_ids=sorted(set(data.product_ids)),
            category_codes=sorted(set(data.category_codes)),
            store_ids=sorted(set(data.store_ids)),
            weekdays=sorted(set(data.weekdays)),
            on_holidays=data.on_holidays,
            date_ranges=[[a.isoformat(), b.isoformat()] for a, b in data.date_ranges],
            effective_from=start,
            effective_to=data.effective_to,
            priority=data.priority,
            stacking=data.stacking,
            created_by=actor.staff,
            created_at=now,
        )
        after = asdict(data)
        audit_record(
            actor=actor,
            action="promotion.published",
            subject_type="promotion",
            subject_id=promotion.pk,
            after={**after, "version": promotion.version, "effective_from": start.isoformat()},
        )
    return promotion


def _create(**fields: object) -> Promotion:
    """Insert a version; a twin publishing the same new code at once loses with a 409."""
    try:
        with transaction.atomic():
            return Promotion.objects.create(**fields)
    except IntegrityError as exc:
        raise Conflict(
            _("This promotion was changed at the same time; reload and try again."),
            code="promotion_changed",
        ) from exc


def promotion_end(*, actor: Actor, code: str, at: dt.datetime | None = None) -> Promotion:
    """End the promotion at ``at`` (now by default; never in the past): the version in force
    ends then, and a version scheduled to start later never starts. Returns the latest."""
    require(actor, Perm.CATALOG_MANAGE)
    check_business_moment(at, field="at")
    now = timezone.now()
    end = at or now
    if end < now:
        raise _invalid(_("A promotion cannot end in the past."), "effective_to_in_past", "at")
    with transaction.atomic():
        versions = list(
            Promotion.objects.select_for_update().filter(code=code).order_by("-version")
        )
        if not versions:
            raise NotFound(_("Unknown promotion."), code="promotion_not_found")
        current = versions[0]
        ended = []
        for version in versions:
            if version.effective_to is None or version.effective_to > end:
                version.effective_to = max(end, version.effective_from)
                version.save(update_fields=["effective_to"])
                ended.append(version.version)
        audit_record(
            actor=actor,
            action="promotion.ended",
            subject_type="promotion",
            subject_id=current.pk,
            after={
                "code": code,
                "version": current.version,
                "versions_ended": ended,
                "effective_to": end.isoformat(),
            },
        )
    return current


def holiday_set(*, actor: Actor, date: dt.date, name: str) -> Holiday:
    """Mark a public holiday (a promotion "on holidays" runs that day)."""
    require(actor, Perm.CATALOG_MANAGE)
    check_business_moment(date, field="date")
    name = (name or "").strip()[:30]
    if not name:
        raise _invalid(_("Enter a name."), "name_required", "name")
    with transaction.atomic():
        holiday, _created = Holiday.objects.update_or_create(date=date, defaults={"name": name})
        audit_record(
            actor=actor,
            action="holiday.set",
            subject_type="holiday",
            subject_id=holiday.pk,
            after={"date": date.isoformat(), "name": name},
        )
    return holiday


def holiday_delete(*, actor: Actor, date: dt.date) -> None:
    """Take a date off the holiday calendar (audited)."""
    require(actor, Perm.CATALOG_MANAGE)
    with transaction.atomic():
        holiday = Holiday.objects.select_for_update().filter(date=date).first()
        if holiday is None:
            raise NotFound(_("No holiday on that date."), code="holiday_not_found")
        audit_record(
            actor=actor,
            action="holiday.deleted",
            subject_type="holiday",
            subject_id=holiday.pk,
            before={"date": date.isoformat(), "name": holiday.name},
        )
        holiday.delete()
