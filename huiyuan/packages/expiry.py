"""Expiry reminders and expiry, run daily (``huiyuan/jobs``: ``package_expiry``).

Scan first, decide later: each package is re-read under its lock (member → package) in a
short transaction of its own, so a use, a refund or a return made since the scan wins.

- ``package.expiring``: an active package whose last valid day is within
  ``settings.PACKAGES_EXPIRY_REMIND_DAYS`` (default 7) local days gets one reminder, once
  (``expiring_notified_on`` records the day it was sent).
- ``package.expired``: an active package whose last valid day is before today becomes
  expired.

Running the job twice on a day does nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from huiyuan.audit.services import audit_record
from huiyuan.core.clock import local_date
from huiyuan.core.permissions import Actor
from huiyuan.core.retry import atomic_retry
from huiyuan.events.services import event_emit
from huiyuan.packages.models import MemberPackage
from huiyuan.packages.services import package_lock

DEFAULT_REMIND_DAYS = 7


def remind_days() -> int:
    return int(getattr(settings, "PACKAGES_EXPIRY_REMIND_DAYS", DEFAULT_REMIND_DAYS))


def _remaining(package: MemberPackage) -> int | None:
    items = list(package.items.all())
    if any(item.total is None for item in items):
        return None
    return sum(item.remaining or 0 for item in items)


def _remind(actor: Actor, package_id: int, today: dt.date, horizon: dt.date) -> bool:
    def work() -> bool:
        package = package_lock(package_id)
        if (
            package.status != MemberPackage.Status.ACTIVE
            or package.expiring_notified_on is not None
            or package.valid_until is None
            or not today <= package.valid_until <= horizon
        ):
            return False
        package.expiring_notified_on = today
        package.save(update_fields=["expiring_notified_on"])
        event_emit(
            "package.expiring",
            payload={
                "package_id": package.pk,
                "plan_id": package.plan_id,
                "days_left": (package.valid_until - today).days,
                "remaining": _remaining(package),
            },
            member_id=package.member_id,
            store_id=package.store_id,
        )
        return True

    return atomic_retry(work)


def _expire(actor: Actor, package_id: int, today: dt.date) -> bool:
    def work() -> bool:
        package = package_lock(package_id)
        if (
            package.status != MemberPackage.Status.ACTIVE
            or package.valid_until is None
            or package.valid_until >= today
        ):
            return False
        package.status = MemberPackage.Status.EXPIRED
        package.closed_at = timezone.now()
        package.save(update_fields=["status", "closed_at"])
        audit_record(
            actor=actor,
            action="package.expired",
            subject_type="package",
            subject_id=package.pk,
            member_id=package.member_id,
            before={"status": MemberPackage.Status.ACTIVE},
            after={"status": package.status},
            store_id=package.store_id,
        )
        event_emit(
            "package.expired",
            payload={
                "package_id": package.pk,
                "plan_id": package.plan_id,
                "remaining": _remaining(package),
            },
            member_id=package.member_id,
            store_id=package.store_id,
        )
        return True

    return atomic_retry(work)


def packages_expiry_run(*, actor: Actor, now: dt.datetime | None = None) -> dict[str, Any]:
    """Send the due reminders and expire what ended before today (local dates)."""
    today = local_date(now or timezone.now())
    horizon = today + dt.timedelta(days=remind_days())
    active = MemberPackage.objects.filter(status=MemberPackage.Status.ACTIVE)
    due = active.filter(
        expiring_notified_on__isnull=True, valid_until__gte=today, valid_until__lte=horizon
    ).values_list("pk", flat=True)
    ended = active.filter(valid_until__lt=today).values_list("pk", flat=True)
    reminded = sum(_remind(actor, pk, today, horizon) for pk in list(due))
    expired = sum(_expire(actor, pk, today) for pk in list(ended))
    return {"reminded": reminded, "expired": expired}
