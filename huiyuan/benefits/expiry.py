"""Renewal reminders and expiry of benefit cards, run daily (``huiyuan/jobs``: ``benefit_expiry``).

Scan first, decide later: each card is re-read under its lock (member → card) in a short
transaction of its own, so a renewal, an upgrade or a refund made since the scan wins.

- A renewal reminder (``BenefitReminder`` + ``benefit.expiring``): an active card whose last
  day is within ``settings.BENEFITS_REMIND_DAYS`` (default 7) local days gets one reminder
  per end date (a renewal moves the end date, so the next term is reminded again). When the
  care helper's ``huiyuan.care.sending`` module exists, the reminder is also handed to its
  ``send_member_message(member_id=…, code=…, context=…)`` and marked sent.
- Expiry: an active card whose last day is before today becomes expired (with its free uses).

Running the job twice on a day does nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from typing import Any

from django.conf import settings
from django.utils import timezone

from huiyuan.audit.services import audit_record
from huiyuan.benefits.models import BenefitReminder, MemberBenefit
from huiyuan.benefits.services import _lock_benefit, benefit_close_locked
from huiyuan.core.clock import local_date
from huiyuan.core.permissions import Actor
from huiyuan.core.retry import atomic_retry
from huiyuan.events.services import event_emit

DEFAULT_REMIND_DAYS = 7
SENDING = "huiyuan.care.sending"


def remind_days() -> int:
    return int(getattr(settings, "BENEFITS_REMIND_DAYS", DEFAULT_REMIND_DAYS))


def _send(reminder: BenefitReminder, benefit: MemberBenefit) -> bool:
    """Hand the reminder to the care helper's sender, if that module exists."""
    if importlib.util.find_spec(SENDING) is None:
        return False
    send = getattr(importlib.import_module(SENDING), "send_member_message", None)
    if send is None:
        return False
    send(
        member_id=benefit.member_id,
        code="benefit_expiring",
        context={
            "card": benefit.name,
            "valid_until": str(reminder.valid_until),
            "days_left": reminder.days_left,
        },
    )
    return True


def _remind(actor: Actor, benefit_id: int, today: dt.date, horizon: dt.date) -> bool:
    def work() -> bool:
        benefit = _lock_benefit(benefit_id)
        until = benefit.valid_until
        if (
            benefit.status != MemberBenefit.Status.ACTIVE
            or until is None
            or not today <= until <= horizon
            or BenefitReminder.objects.filter(benefit=benefit, valid_until=until).exists()
        ):
            return False
        reminder = BenefitReminder.objects.create(
            benefit=benefit,
            valid_until=until,
            days_left=(until - today).days,
            created_at=timezone.now(),
        )
        if _send(reminder, benefit):
            reminder.sent = True
            reminder.save(update_fields=["sent"])
        audit_record(
            actor=actor,
            action="benefit.reminded",
            subject_type="benefit",
            subject_id=benefit.pk,
            member_id=benefit.member_id,
            after={"until": str(until), "days_left": reminder.days_left, "sent": reminder.sent},
            store_id=benefit.store_id,
        )
        event_emit(
            "benefit.expiring",
            payload={
                "benefit_id": benefit.pk,
                "plan_id": benefit.plan_id,
                "reminder_id": reminder.pk,
                "days_left": reminder.days_left,
            },
            member_id=benefit.member_id,
            store_id=benefit.store_id,
        )
        return True

    return atomic_retry(work)


def _expire(actor: Actor, benefit_id: int, today: dt.date) -> bool:
    def work() -> bool:
        benefit = _lock_benefit(benefit_id)
        if (
            benefit.status != MemberBenefit.Status.ACTIVE
            or benefit.valid_until is None
            or benefit.valid_until >= today
        ):
            return False
        benefit_close_locked(actor, benefit, MemberBenefit.Status.EXPIRED, timezone.now())
        return True

    return atomic_retry(work)


def benefits_expiry_run(*, actor: Actor, now: dt.datetime | None = None) -> dict[str, Any]:
    """Write the due reminders and expire what ended before today (local dates)."""
    today = local_date(now or timezone.now())
    horizon = today + dt.timedelta(days=remind_days())
    active = MemberBenefit.objects.filter(status=MemberBenefit.Status.ACTIVE)
    due = active.filter(valid_until__gte=today, valid_until__lte=horizon).values_list(
        "pk", flat=True
    )
    ended = active.filter(valid_until__lt=today).values_list("pk", flat=True)
    reminded = sum(_remind(actor, pk, today, horizon) for pk in list(due))
    expired = sum(_expire(actor, pk, today) for pk in list(ended))
    return {"reminded": reminded, "expired": expired}
