"""Follow-ups by hand: create, assign, take, log outcomes, cancel; permissions and scope."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.core.clock import local_today
from huiyuan.core.errors import Conflict, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.followups import selectors, services
from huiyuan.followups.models import Attempt, Followup, FollowupPolicy
from huiyuan.ledger.tests.factories import member

pytestmark = pytest.mark.django_db

TOMORROW = local_today() + dt.timedelta(days=1)


def state() -> list[tuple]:
    rows = Followup.objects.order_by("pk").values_list(
        "status", "assignee_id", "due_date", "attempts", "last_outcome"
    )
    return [*rows, ("attempts", Attempt.objects.count())]


@pytest.fixture
def task(actors, cashier):
    m = member(cashier)
    return services.followup_create(
        actor=actors[Role.STORE_MANAGER],
        data=services.FollowupInput(member_id=m.pk, due_date=TOMORROW, note="回访新会员"),
    )


def test_manager_creates_and_cashier_completes_with_an_outcome(task, actors, staff, stores):
    assert (task.reason, task.store_id, task.status, task.note) == (
        "manual",
        stores[0].pk,
        "open",
        "回访新会员",
    )
    cashier = actors[Role.CASHIER]
    services.followup_take(actor=cashier, followup_id=task.pk)
    assert [t.pk for t in selectors.followups_mine(actor=cashier)] == [task.pk]
    later = local_today() + dt.timedelta(days=2)
    attempt = services.followup_log(
        actor=cashier, followup_id=task.pk, outcome="call_back", next_due_date=later, note="在开会"
    )
    task.refresh_from_db()
    assert (task.status, task.due_date, task.attempts, attempt.next_due_date) == (
        "open",
        later,
        1,
        later,
    )
    services.followup_log(actor=cashier, followup_id=task.pk, outcome="no_answer")
    services.followup_log(actor=cashier, followup_id=task.pk, outcome="reached", note="很满意")
    task.refresh_from_db()
    assert (task.status, task.attempts, task.last_outcome) == ("done", 3, "reached")
    assert task.closed_at is not None
    history = selectors.member_attempts(actor=actors[Role.STORE_MANAGER], member_id=task.member_id)
    assert [(a.outcome, a.note) for a in history] == [
        ("reached", "很满意"),
        ("no_answer", ""),
        ("call_back", "在开会"),
    ]
    before = state()
    with pytest.raises(Conflict) as exc:
        services.followup_log(actor=cashier, followup_id=task.pk, outcome="reached")
    assert exc.value.code == "followup_closed"
    assert state() == before


def test_refusals_change_nothing(task, actors, staff):
    cashier, agent = actors[Role.CASHIER], actors[Role.CALL_CENTER]
    before = state()
    with pytest.raises(PermissionDenied):  # a cashier may not create or assign
        services.followup_assign(
            actor=cashier, followup_id=task.pk, assignee_id=staff[Role.CASHIER].pk
        )
    with pytest.raises(ValidationFailed) as exc:
        services.followup_log(actor=cashier, followup_id=task.pk, outcome="call_back")
    assert exc.value.code == "call_back_date_required"
    with pytest.raises(ValidationFailed) as exc:
        services.followup_log(actor=cashier, followup_id=task.pk, outcome="maybe")
    assert exc.value.code == "invalid_outcome"
    with pytest.raises(ValidationFailed) as exc:  # a marketer cannot make calls
        services.followup_assign(
            actor=agent, followup_id=task.pk, assignee_id=staff[Role.MARKETER].pk
        )
    assert exc.value.code == "assignee_cannot_follow_up"
    services.followup_take(actor=agent, followup_id=task.pk)
    before = state()
    with pytest.raises(Conflict) as exc:
        services.followup_take(actor=cashier, followup_id=task.pk)
    assert exc.value.code == "followup_taken"
    with pytest.raises(PermissionDenied) as exc:
        services.followup_log(actor=cashier, followup_id=task.pk, outcome="reached")
    assert exc.value.code == "followup_not_yours"
    with pytest.raises(ValidationFailed) as exc:
        services.followup_cancel(actor=agent, followup_id=task.pk, note="")
    assert exc.value.code == "reason_required"
    assert state() == before


def test_store_scope(actors, staff, stores, cashier):
    from huiyuan.stores.models import Staff

    m = member(cashier)
    hq = actors[Role.HQ_ADMIN]
    other = services.followup_create(
        actor=hq,
        data=services.FollowupInput(member_id=m.pk, due_date=TOMORROW, store_id=stores[1].pk),
    )
    manager = actors[Role.STORE_MANAGER]  # works at stores[0] only
    assert list(selectors.followup_list(actor=manager)) == []
    assert list(selectors.followup_queue(actor=manager)) == []
    assert [t.pk for t in selectors.followup_queue(actor=actors[Role.CALL_CENTER])] == [other.pk]
    before = state()
    with pytest.raises(PermissionDenied) as exc:
        services.followup_log(actor=manager, followup_id=other.pk, outcome="reached")
    assert exc.value.code == "store_forbidden"
    with pytest.raises(PermissionDenied) as exc:
        services.followup_create(
            actor=manager,
            data=services.FollowupInput(member_id=m.pk, due_date=TOMORROW, store_id=stores[1].pk),
        )
    assert exc.value.code == "store_forbidden"
    with pytest.raises(PermissionDenied) as exc:
        selectors.followup_list(actor=manager, store_id=stores[1].pk)
    assert exc.value.code == "store_forbidden"
    with pytest.raises(ValidationFailed) as exc:  # the cashier works at stores[0] only
        services.followup_assign(actor=hq, followup_id=other.pk, assignee_id=staff[Role.CASHIER].pk)
    assert exc.value.code == "assignee_outside_store"
    assert state() == before
    assert Staff.objects.count() == 6


def test_overdue_list_and_cancel(task, actors):
    Followup.objects.filter(pk=task.pk).update(due_date=local_today() - dt.timedelta(days=2))
    manager = actors[Role.STORE_MANAGER]
    assert [t.pk for t in selectors.followup_list(actor=manager, overdue=True)] == [task.pk]
    services.followup_cancel(actor=manager, followup_id=task.pk, note="会员要求不再来电")
    task.refresh_from_db()
    assert task.status == "cancelled"
    assert list(selectors.followup_list(actor=manager, overdue=True)) == []


def test_policy_is_owner_only_and_checked(actors):
    data = services.PolicyInput(
        first_purchase_enabled=True,
        first_purchase_days=2,
        complaint_days=1,
        lapse_enabled=True,
        lapse_days=60,
        lapse_task_days=5,
    )
    with pytest.raises(PermissionDenied):
        services.policy_update(actor=actors[Role.STORE_MANAGER], data=data)
    bad = services.PolicyInput(**{**data.__dict__, "lapse_days": 3})
    with pytest.raises(ValidationFailed) as exc:
        services.policy_update(actor=actors[Role.OWNER], data=bad)
    assert exc.value.field == "lapse_days"
    assert FollowupPolicy.current().lapse_days == 90
    services.policy_update(actor=actors[Role.OWNER], data=data)
    assert FollowupPolicy.current().lapse_days == 60
