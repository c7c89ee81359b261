"""Scheduled reports: a report, its stores, recipients and a frequency; the daily job sends
each one's workbook for the period just ended, once per period.

The workbook goes as an e-mail attachment through Django's mail backend (``EMAIL_*``
settings). The care app's channels send messages to members and carry no attachments, so
staff reports do not go through them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huiyuan.analytics.models import ScheduledReport
from huiyuan.analytics.reports import REPORTS, export_filename, workbook_write
from huiyuan.audit.services import audit_record
from huiyuan.core.clock import local_today
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, Role, require
from huiyuan.stores.models import Staff
from huiyuan.stores.scope import stores_in_view

log = logging.getLogger(__name__)
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
MAX_RECIPIENTS = 20


def _recipients(text: str | list[str]) -> list[str]:
    items = text if isinstance(text, list) else re.split(r"[\s,;，；]+", text)
    out = [i.strip() for i in items if i.strip()]
    if not out:
        raise ValidationFailed(
            _("Give at least one e-mail address."), code="recipients_missing", field="recipients"
        )
    if len(out) > MAX_RECIPIENTS:
        raise ValidationFailed(
            _("At most 20 recipients."), code="recipients_too_many", field="recipients"
        )
    bad = [i for i in out if not EMAIL.match(i)]
    if bad:
        raise ValidationFailed(
            _("Not an e-mail address: %(address)s") % {"address": bad[0]},
            code="recipient_invalid",
            field="recipients",
        )
    return sorted(set(out))


def schedule_create(
    *,
    actor: Actor,
    name: str,
    report: str,
    recipients: str | list[str],
    frequency: str,
    store_id: int | None = None,
) -> ScheduledReport:
    """Schedule ``report`` for the stores in view (one store, or all the actor covers)."""
    require(actor, Perm.REPORT_SCHEDULE)
    name = name.strip()
    if not name or len(name) > 60:
        raise ValidationFailed(_("Give the schedule a name."), code="name_missing", field="name")
    if report not in REPORTS:
        raise ValidationFailed(_("No such report."), code="report_not_found", field="report")
    if frequency not in ScheduledReport.Frequency.values:
        raise ValidationFailed(
            _("Choose daily, weekly or monthly."), code="frequency_invalid", field="frequency"
        )
    addresses = _recipients(recipients)
    scope = stores_in_view(actor, store_id)
    with transaction.atomic():
        row = ScheduledReport.objects.create(
            name=name,
            report=report,
            store_ids=None if scope is None else sorted(scope),
            recipients=addresses,
            frequency=frequency,
            created_by=actor.staff,
            created_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="report_schedule.created",
            subject_type="scheduled_report",
            subject_id=row.pk,
            after={
                "report": report,
                "frequency": frequency,
                "stores": row.store_ids,
                "recipients": len(addresses),
            },
        )
    return row


def schedule_list(*, actor: Actor) -> list[ScheduledReport]:
    """The schedules the actor may see: a store-scoped actor only those within its stores."""
    require(actor, Perm.REPORT_SCHEDULE)
    rows = list(ScheduledReport.objects.select_related("created_by").order_by("name", "pk"))
    if actor.store_ids is None:
        return rows
    return [r for r in rows if r.store_ids is not None and set(r.store_ids) <= actor.store_ids]


def schedule_delete(*, actor: Actor, schedule_id: int) -> None:
    require(actor, Perm.REPORT_SCHEDULE)
    with transaction.atomic():
        row = ScheduledReport.objects.select_for_update().filter(pk=schedule_id).first()
        visible = row is not None and (
            actor.store_ids is None
            or (row.store_ids is not None and set(row.store_ids) <= actor.store_ids)
        )
        if row is None or not visible:
            raise NotFound(_("No such scheduled report."), code="schedule_not_found")
        audit_record(
            actor=actor,
            action="report_schedule.deleted",
            subject_type="scheduled_report",
            subject_id=row.pk,
            before={"report": row.report, "frequency": row.frequency},
        )
        row.delete()


def period_due(frequency: str, today: dt.date) -> tuple[str, dt.date, dt.date] | None:
    """(period key, first, last) of the period a schedule sends today, or None."""
    if frequency == ScheduledReport.Frequency.DAILY:
        day = today - dt.timedelta(days=1)
        return day.isoformat(), day, day
    if frequency == ScheduledReport.Frequency.WEEKLY and today.isoweekday() == 1:
        first = today - dt.timedelta(days=7)
        year, week, _day = first.isocalendar()
        return f"{year}-W{week:02d}", first, today - dt.timedelta(days=1)
    if frequency == ScheduledReport.Frequency.MONTHLY and today.day == 1:
        last = today - dt.timedelta(days=1)
        return last.strftime("%Y-%m"), last.replace(day=1), last
    return None


def _system_actor(row: ScheduledReport) -> Actor:
    scope = None if row.store_ids is None else frozenset(int(i) for i in row.store_ids)
    return Actor(role=Role.OWNER, store_ids=scope)


def schedule_send(row: ScheduledReport, *, period: str, first: dt.date, last: dt.date) -> None:
    """Build the workbook and mail it; record the period so it is sent once."""
    report = REPORTS[row.report]
    with workbook_write(
        actor=_system_actor(row), code=row.report, first=first, last=last
    ) as handle:
        content = handle.read()
    subject = gettext("%(report)s, %(period)s") % {"report": report.title, "period": period}
    message = EmailMessage(
        subject=f"[{gettext('huiyuan')}] {subject}",
        body=gettext("The report %(name)s for %(first)s – %(last)s is attached.")
        % {"name": row.name, "first": first, "last": last},
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(row.recipients),
    )
    message.attach(
        export_filename(row.report, first, last),
        content,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    message.send()
    ScheduledReport.objects.filter(pk=row.pk).update(
        last_period=period, last_sent_at=timezone.now(), last_error=""
    )


def schedules_send_due(today: dt.date | None = None) -> int:
    """Send every active schedule whose period has ended and was not sent yet."""
    today = today or local_today()
    sent = 0
    for row in ScheduledReport.objects.filter(is_active=True).order_by("pk"):
        due = period_due(row.frequency, today)
        if due is None or row.last_period == due[0]:
            continue
        try:
            schedule_send(row, period=due[0], first=due[1], last=due[2])
        except Exception as exc:  # one bad schedule (a mail server down) must not stop the rest
            log.exception("scheduled report %s failed", row.pk)
            ScheduledReport.objects.filter(pk=row.pk).update(last_error=str(exc)[:200])
        else:
            sent += 1
    return sent


def staff_name(staff: Staff | None) -> str:
    return staff.display_name or staff.username if staff is not None else ""
