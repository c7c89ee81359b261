"""Background tasks (django-tasks). The worker (``huiyuan worker``) runs them."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Actor, Role
from huiyuan.events.services import events_purge
from huiyuan.ledger.commands import idempotency_keys_purge
from huiyuan.members.services import members_terminate_inactive
from huiyuan.points.maturation import points_mature_due
from huiyuan.points.services import lots_expire_due
from huiyuan.tiers.models import TierPolicy
from huiyuan.tiers.services import tiers_evaluate_period

# Scheduled jobs act as the system: an owner-level actor with no staff behind it.
SYSTEM = Actor(role=Role.OWNER)


@task()
def expire_lots() -> dict[str, Any]:
    """Sweep expired points and bonus lots to the expiry accounts."""
    return {"lots": lots_expire_due(actor=SYSTEM)}


@task()
def mature_points() -> dict[str, Any]:
    """Mark pending points whose return window has passed as matured (P1), once per lot."""
    return {"lots": points_mature_due(actor=SYSTEM)}


@task()
def evaluate_tiers() -> dict[str, Any]:
    """Period-end tier evaluation (runs monthly; acts when the policy's period has ended)."""
    if not TierPolicy.current().period_ends_before(local_today().month):
        return {"skipped": "the evaluation period has not ended"}
    return tiers_evaluate_period(actor=SYSTEM)


@task()
def terminate_inactive_members() -> dict[str, Any]:
    """Terminate members inactive for longer than the policy allows (if it sets a limit)."""
    days = TierPolicy.current().inactive_termination_days
    if days is None:
        return {"skipped": "no inactivity limit"}
    return {"terminated": members_terminate_inactive(actor=SYSTEM, inactive_days=days)}


@task()
def purge_idempotency_keys() -> dict[str, Any]:
    """Forget idempotency keys older than the retention (IDEMPOTENCY_RETENTION_DAYS)."""
    return {"purged": idempotency_keys_purge()}


@task()
def purge_events() -> dict[str, Any]:
    """Forget delivered domain events older than the retention (EVENTS_RETENTION_DAYS)."""
    return {"purged": events_purge()}
