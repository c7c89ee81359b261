"""The scheduler: decides which periodic jobs are due and enqueues each once per period.

Several schedulers may run (one per web node, say): a run is claimed by inserting a
``ScheduledRun`` row keyed by (job, period); the unique constraint lets exactly one
claimant win, the others skip.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from huiyuan.activities.tasks import activities_daily
from huiyuan.analytics.tasks import analytics_daily
from huiyuan.benefits.tasks import benefit_expiry
from huiyuan.care.campaigns import campaigns_stalled
from huiyuan.care.sending import deliveries_due as care_deliveries_due
from huiyuan.care.tasks import resume_campaigns, run_care_rules, send_deliveries
from huiyuan.core.clock import local_date
from huiyuan.events.selectors import events_due
from huiyuan.events.tasks import dispatch_events
from huiyuan.followups.tasks import followups_daily
from huiyuan.jobs import tasks
from huiyuan.jobs.models import ScheduledRun
from huiyuan.packages.tasks import package_expiry
from huiyuan.referrals.tasks import referral_release
from huiyuan.segments.tasks import segments_daily
from huiyuan.webhooks.delivery import deliveries_due
from huiyuan.webhooks.tasks import send_webhooks

log = logging.getLogger(__name__)


def daily(now: dt.datetime) -> str:
    """The period key of a daily job: the business (local) date."""
    return local_date(now).isoformat()


def monthly(now: dt.datetime) -> str:
    """The period key of a monthly job: the business (local) month."""
    return local_date(now).strftime("%Y-%m")


@dataclass(frozen=True)
class Job:
    name: str
    period: Callable[[dt.datetime], str]
    task: Any  # a django_tasks Task


JOBS = [
    Job("expire_lots", daily, tasks.expire_lots),
    Job("mature_points", daily, tasks.mature_points),
    Job("purge_idempotency_keys", daily, tasks.purge_idempotency_keys),
    Job("purge_events", daily, tasks.purge_events),
    Job("package_expiry", daily, package_expiry),
    Job("care_rules", daily, run_care_rules),
    Job("benefit_expiry", daily, benefit_expiry),
    Job("referral_release", daily, referral_release),
    Job("analytics_daily", daily, analytics_daily),
    Job("followups_daily", daily, followups_daily),
    Job("activities_daily", daily, activities_daily),
    Job("segments_daily", daily, segments_daily),
    Job("evaluate_tiers", monthly, tasks.evaluate_tiers),
    Job("terminate_inactive_members", monthly, tasks.terminate_inactive_members),
]


def claimant() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(job: Job, now: dt.datetime, who: str) -> ScheduledRun | None:
    """Claim this period's run of ``job``; None when another scheduler already has it."""
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(
                job=job.name, period=job.period(now), claimed_by=who, claimed_at=now
            )
    except IntegrityError:
        return None


def tick(now: dt.datetime | None = None, who: str | None = None) -> list[str]:
    """Enqueue every job due in the current period that nobody has claimed. Returns names."""
    now = now or timezone.now()
    who = who or claimant()
    started = []
    for job in JOBS:
        run = claim(job, now, who)
        if run is None:
            continue
        job.task.enqueue()
        started.append(job.name)
        log.info("scheduled %s for %s", job.name, run.period)
    # Every tick, not once per period: domain events still due (an enqueue lost in a crash,
    # a retry whose backoff ran out) go to the worker. Dispatchers skip what another holds.
    if events_due(now):
        dispatch_events.enqueue()
        started.append("dispatch_events")
    # Likewise webhook deliveries whose retry is due (docs/webhooks.md).
    if deliveries_due(now):
        send_webhooks.enqueue()
        started.append("send_webhooks")
    # Messages to members that are due (deferred past quiet hours, retries; docs/care.md),
    # and DM campaigns whose worker died mid-run.
    if care_deliveries_due(now):
        send_deliveries.enqueue()
        started.append("send_care_deliveries")
    if campaigns_stalled(now):
        resume_campaigns.enqueue()
        started.append("resume_campaigns")
    return started
