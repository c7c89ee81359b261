"""Inactivity termination decides each member under that member's lock (ADR 0002).

The scan only proposes members; each is re-read and re-decided in its own short
transaction, so a member who buys between the scan and the step stays a member.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from huiyuan.audit.models import AuditEvent
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.ledger.tests.factories import card, key
from huiyuan.members import services
from huiyuan.members.models import Member

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def idle(owner, cashier):
    """A member with a card whose last activity was years ago."""
    c = card(cashier, owner)
    Member.objects.filter(pk=c.member_id).update(last_activity_at=LONG_AGO)
    return c


def buy(cashier, c) -> None:
    sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=1000, card_id=c.pk, external_method="cash"),
        idempotency_key=key(),
    )


def interleave(monkeypatch, member_id: int, action) -> list[int]:
    """Run ``action`` after the scan, just before the step of ``member_id``."""
    original = services.member_terminate_if_inactive
    stepped: list[int] = []

    def step(**kwargs):
        stepped.append(kwargs["member_id"])
        if kwargs["member_id"] == member_id:
            action()
        return original(**kwargs)

    monkeypatch.setattr(services, "member_terminate_if_inactive", step)
    return stepped


def status(member_id: int) -> str:
    return Member.objects.get(pk=member_id).status


@pytest.mark.django_db
def test_a_sale_between_the_scan_and_the_step_keeps_the_member(monkeypatch, owner, cashier, idle):
    other = card(cashier, owner)
    Member.objects.filter(pk=other.member_id).update(last_activity_at=LONG_AGO)
    stepped = interleave(monkeypatch, idle.member_id, lambda: buy(cashier, idle))

    assert services.members_terminate_inactive(actor=owner, inactive_days=365) == 1

    assert sorted(stepped) == sorted([idle.member_id, other.member_id])
    assert status(idle.member_id) == "active"
    assert status(other.member_id) == "terminated"
    assert list(
        AuditEvent.objects.filter(action="member.terminated").values_list("member_id", flat=True)
    ) == [other.member_id]


@pytest.mark.django_db
def test_a_member_cancelled_between_the_scan_and_the_step_is_not_terminated(
    monkeypatch, owner, idle
):
    def cancel() -> None:
        services.member_cancel(actor=owner, member_id=idle.member_id, reason="本人申请注销")

    interleave(monkeypatch, idle.member_id, cancel)
    assert services.members_terminate_inactive(actor=owner, inactive_days=365) == 0
    assert status(idle.member_id) == "cancelled"


@pytest.mark.django_db
def test_idle_members_are_terminated_once(owner, cashier, idle):
    fresh = card(cashier, owner)
    assert services.members_terminate_inactive(actor=owner, inactive_days=365) == 1
    assert status(idle.member_id) == "terminated"
    assert status(fresh.member_id) == "active"
    event = AuditEvent.objects.get(action="member.terminated")
    assert (event.member_id, event.note) == (idle.member_id, "inactive for more than 365 days")
    assert services.members_terminate_inactive(actor=owner, inactive_days=365) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sale_committed_while_the_job_waits_keeps_the_member(owner, cashier, idle):
    """Real threads: the sale holds the member row; the job's step waits for it and then
    sees the fresh activity, instead of terminating on what it scanned."""
    if connection.vendor != "postgresql":
        pytest.skip("row-lock waits are tested on PostgreSQL")
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["run"] = services.members_terminate_inactive(actor=owner, inactive_days=365)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            result["error"] = exc
        finally:
            close_old_connections()
            connection.close()

    with transaction.atomic():
        buy(cashier, idle)
        worker = threading.Thread(target=run)
        worker.start()
        time.sleep(0.5)  # the job has scanned and now waits on the member row
        assert worker.is_alive()
    worker.join(30)
    assert result == {"run": 0}
    assert status(idle.member_id) == "active"
