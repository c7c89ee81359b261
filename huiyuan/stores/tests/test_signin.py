"""Sign-in limits read from django-axes' records: the address delay, account locks, unlock
and what an account's holder is told."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied
from huiyuan.core.permissions import Role
from huiyuan.stores import signin

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def failures(ip: str, count: int, *, username: str = "x", seconds_ago: float = 0) -> None:
    at = NOW - dt.timedelta(seconds=seconds_ago)
    for _ in range(count):
        row = AccessFailureLog.objects.create(username=username, ip_address=ip)
        AccessFailureLog.objects.filter(pk=row.pk).update(attempt_time=at)


def attempts(username: str, count: int, *, minutes_ago: float = 0) -> None:
    row = AccessAttempt.objects.create(
        username=username, ip_address="198.51.100.1", user_agent="test", failures_since_start=count
    )
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)  # attempt_time is auto_now_add
    AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=at)


@pytest.mark.parametrize(
    ("count", "seconds_ago", "wait"),
    [
        (10, 0, 0),  # ten failures are free
        (11, 0, 1),
        (12, 0, 2),
        (13, 0.5, 4),  # counted from the latest failure, rounded up
        (16, 0, 32),
        (17, 0, 60),  # 64 capped at the maximum
        (40, 0, 60),
        (17, 61, 0),  # the wait has passed
        (17, 59, 1),
    ],
)
def test_address_wait(count, seconds_ago, wait) -> None:
    failures("203.0.113.7", count, seconds_ago=seconds_ago)
    assert signin.address_wait_seconds(ip="203.0.113.7", now=NOW) == wait


def test_address_wait_counts_only_that_address_within_the_window() -> None:
    failures("203.0.113.7", 11, seconds_ago=901)  # older than the window
    failures("203.0.113.8", 30)
    failures("203.0.113.7", 10)
    assert signin.address_wait_seconds(ip="203.0.113.7", now=NOW) == 0
    assert signin.address_wait_seconds(ip=None, now=NOW) == 0


def test_account_locks_follow_the_limit_and_the_window(staff) -> None:
    attempts("cashier", 4)
    attempts("manager", 5, minutes_ago=1)
    attempts("owner", 9, minutes_ago=16)  # older than the window: expired
    locks = signin.account_locks(["Cashier", "manager", "owner", "nobody"])
    assert set(locks) == {"manager"}
    assert locks["manager"].failures == 5
    assert 13 <= locks["manager"].minutes_left() <= 14


def test_unlock_resets_the_account_and_is_audited(staff, owner) -> None:
    attempts("cashier", 5)
    unlocked = signin.staff_unlock(actor=owner, staff_id=staff[Role.CASHIER].pk)
    assert unlocked == staff[Role.CASHIER]
    assert not AccessAttempt.objects.filter(username="cashier").exists()
    event = AuditEvent.objects.get(action="staff.unlocked")
    assert (event.subject_id, event.before, event.actor) == (
        str(unlocked.pk),
        {"failures": 5},
        staff[Role.OWNER],
    )


def test_unlock_refusals_change_nothing(staff, actors) -> None:
    attempts("cashier", 5)
    cashier_id = staff[Role.CASHIER].pk
    with pytest.raises(PermissionDenied):
        signin.staff_unlock(actor=actors[Role.CALL_CENTER], staff_id=cashier_id)
    # A store manager unlocks its store's staff only (huiyuan/stores/tests/test_staff_scope.py)
    with pytest.raises(NotFound) as other_store:
        signin.staff_unlock(actor=actors[Role.STORE_MANAGER], staff_id=staff[Role.HQ_ADMIN].pk)
    assert other_store.value.code == "unknown_staff"
    with pytest.raises(NotFound) as missing:
        signin.staff_unlock(actor=actors[Role.OWNER], staff_id=999_999)
    assert missing.value.code == "unknown_staff"
    with pytest.raises(Conflict) as not_locked:
        signin.staff_unlock(actor=actors[Role.OWNER], staff_id=staff[Role.MARKETER].pk)
    assert not_locked.value.code == "not_locked"
    assert AccessAttempt.objects.get(username="cashier").failures_since_start == 5
    assert not AuditEvent.objects.filter(action="staff.unlocked").exists()


def test_failures_since_last_login(staff) -> None:
    cashier = staff[Role.CASHIER]
    cashier.last_login = NOW
    cashier.save(update_fields=["last_login"])
    old = AccessFailureLog.objects.create(username="cashier", ip_address="198.51.100.1")
    AccessFailureLog.objects.filter(pk=old.pk).update(attempt_time=NOW - dt.timedelta(hours=1))
    for minutes, ip, locked in ((5, "198.51.100.2", False), (9, "198.51.100.3", True)):
        row = AccessFailureLog.objects.create(username="cashier", ip_address=ip, locked_out=locked)
        AccessFailureLog.objects.filter(pk=row.pk).update(
            attempt_time=NOW + dt.timedelta(minutes=minutes)
        )
    summary = signin.failures_since_last_login(cashier)
    assert summary == signin.FailureSummary(
        count=2,
        latest_at=NOW + dt.timedelta(minutes=9),
        latest_ip="198.51.100.3",
        locked=True,
    )
    assert signin.failures_since_last_login(staff[Role.OWNER]).count == 0


def test_lockout_is_audited_for_known_staff_only(staff) -> None:
    signin.lockout_record(username=" Cashier", ip="198.51.100.9")
    signin.lockout_record(username="nobody", ip="198.51.100.9")
    event = AuditEvent.objects.get(action="staff.locked_out")
    assert (event.subject_id, event.note) == (str(staff[Role.CASHIER].pk), "198.51.100.9")
