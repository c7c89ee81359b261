"""Staff sign-in limits: account lockout, the per-address delay, and what an account's
owner is told. django-axes keeps the records; this module reads them and acts on them.

Two separate limits, so that one shop's shared public address cannot lock everyone out:

- **Account.** After ``LOGIN_FAILURE_LIMIT`` failures for a user name within
  ``LOGIN_FAILURE_WINDOW_SECONDS``, from whatever address, the account is locked (axes,
  lockout parameter: the user name only). Wrong second-factor codes count too. The lock
  ends when the window has passed since the latest failure, or when an owner or HQ admin
  unlocks it (``staff_unlock``). Locking writes ``staff.locked_out`` to the audit log.
- **Address.** An address is never locked. Past ``LOGIN_ADDRESS_FREE_FAILURES`` failures
  within the window it waits 1, 2, 4 … seconds (at most ``LOGIN_ADDRESS_MAX_DELAY_SECONDS``)
  after its latest failure before the next attempt is checked at all.

User names are compared lower-cased and stripped, as axes records them here.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.stores.models import Staff
from huiyuan.stores.services import staff_require_manageable


def username_key(username: str) -> str:
    """The form under which failures for ``username`` are counted."""
    return (username or "").strip().lower()[:150]


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


# --------------------------------------------------------------------------- address


def address_wait_seconds(*, ip: str | None, now: dt.datetime | None = None) -> int:
    """Seconds the address must still wait before its next attempt (0: go ahead)."""
    if not ip:
        return 0
    now = now or timezone.now()
    recent = AccessFailureLog.objects.filter(ip_address=ip, attempt_time__gt=now - _window())
    row = recent.aggregate(failures=Count("id"), latest=Max("attempt_time"))
    excess = row["failures"] - settings.LOGIN_ADDRESS_FREE_FAILURES
    if excess <= 0 or row["latest"] is None:
        return 0
    delay = min(2 ** min(excess - 1, 30), settings.LOGIN_ADDRESS_MAX_DELAY_SECONDS)
    remaining = (row["latest"] + dt.timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(remaining))


# --------------------------------------------------------------------------- account


@dataclass(frozen=True)
class AccountLock:
    failures: int
    until: dt.datetime

    def minutes_left(self, now: dt.datetime | None = None) -> int:
        seconds = (self.until - (now or timezone.now())).total_seconds()
        return max(1, math.ceil(seconds / 60))


def account_locks(
    usernames: list[str], *, now: dt.datetime | None = None
) -> dict[str, AccountLock]:
    """The locked accounts among ``usernames`` (by their ``username_key``).

    The same rule axes applies (failures newer than the cool-off, summed per user name),
    read in one query for a list of staff.
    """
    now = now or timezone.now()
    keys = {username_key(u) for u in usernames}
    rows = (
        AccessAttempt.objects.filter(username__in=keys, attempt_time__gte=now - _window())
        .values("username")
        .annotate(failures=Sum("failures_since_start"), latest=Max("attempt_time"))
    )
    return {
        row["username"]: AccountLock(failures=row["failures"], until=row["latest"] + _window())
        for row in rows
        if row["failures"] >= settings.LOGIN_FAILURE_LIMIT
    }


def account_lock(username: str, *, now: dt.datetime | None = None) -> AccountLock | None:
    return account_locks([username], now=now).get(username_key(username))


def lockout_record(*, username: str, ip: str | None) -> None:
    """Write ``staff.locked_out`` for the account just locked (nothing for unknown names)."""
    staff = Staff.objects.filter(username__iexact=username_key(username)).first()
    if staff is None:
        return
    with transaction.atomic():
        audit_record(
            actor=staff.as_actor(),
            action="staff.locked_out",
            subject_type="staff",
            subject_id=staff.pk,
            after={"failures": settings.LOGIN_FAILURE_LIMIT},
            note=ip or "",
        )


def staff_unlock(*, actor: Actor, staff_id: int) -> Staff:
    """Lift the lock on a staff member's account (``STAFF_MANAGE``, for staff one manages)."""
    require(actor, Perm.STAFF_MANAGE)
    with transaction.atomic():
        staff = Staff.objects.select_for_update().filter(pk=staff_id).first()
        if staff is None:
            raise NotFound(_("Unknown staff member."), code="unknown_staff")
        staff_require_manageable(actor, staff)  # a store manager: their own staff
        lock = account_lock(staff.username)
        if lock is None:
            raise Conflict(_("This account is not locked."), code="not_locked")
        AxesProxyHandler.reset_attempts(username=username_key(staff.username))
        audit_record(
            actor=actor,
            action="staff.unlocked",
            subject_type="staff",
            subject_id=staff.pk,
            before={"failures": lock.failures},
        )
    return staff


# ------------------------------------------------------------------------- telling


@dataclass(frozen=True)
class FailureSummary:
    """Failed attempts on an account since its last successful login."""

    count: int
    latest_at: dt.datetime | None
    latest_ip: str | None
    locked: bool


def failures_since_last_login(staff: Staff) -> FailureSummary:
    """What to tell a staff member as they log in (read before ``last_login`` moves)."""
    failures = AccessFailureLog.objects.filter(username=username_key(staff.username))
    if staff.last_login is not None:
        failures = failures.filter(attempt_time__gt=staff.last_login)
    row = failures.aggregate(count=Count("id"), latest=Max("attempt_time"))
    latest = failures.order_by("-attempt_time").first() if row["count"] else None
    return FailureSummary(
        count=row["count"],
        latest_at=row["latest"],
        latest_ip=latest.ip_address if latest else None,
        locked=failures.filter(locked_out=True).exists() if row["count"] else False,
    )


def login_record(*, staff: Staff, ip: str | None, second_factor: str = "") -> None:
    """Write ``staff.logged_in`` (with the second factor used, if any)."""
    with transaction.atomic():
        audit_record(
            actor=staff.as_actor(),
            action="staff.logged_in",
            subject_type="staff",
            subject_id=staff.pk,
            after={"second_factor": second_factor} if second_factor else None,
            note=ip or "",
        )
