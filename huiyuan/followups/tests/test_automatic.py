"""Automatic follow-ups: first purchase (event), complaint, lapse (daily job), overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.checkout.models import Sale
from huiyuan.core.clock import local_today
from huiyuan.events.dispatch import events_dispatch
from huiyuan.followups.automatic import (
    followup_on_complaint,
    followups_detect_lapses,
    followups_mark_overdue,
)
from huiyuan.followups.models import Followup, FollowupPolicy
from huiyuan.followups.tasks import followups_daily

pytestmark = pytest.mark.django_db


def test_first_purchase_makes_one_task_per_member(member_card, sell, stores):
    c = member_card()
    first = sell(c)
    events_dispatch()
    sell(c)
    events_dispatch()
    tasks = list(Followup.objects.all())
    assert len(tasks) == 1
    task = tasks[0]
    assert (task.reason, task.member_id, task.store_id, task.source_id) == (
        "first_purchase",
        c.member_id,
        stores[0].pk,
        first.pk,
    )
    assert task.due_date == local_today() + dt.timedelta(days=3)
    assert task.status == "open" and task.assignee_id is None
    assert AuditEvent.objects.filter(action="followup.created", subject_id=str(task.pk)).exists()


def test_first_purchase_rule_can_be_switched_off(member_card, sell):
    FollowupPolicy.objects.create(first_purchase_enabled=False)
    sell(member_card())
    events_dispatch()
    assert not Followup.objects.exists()


def test_a_complaint_task_is_made_once(member_card, stores):
    c = member_card()
    from django.db import transaction

    with transaction.atomic():
        first = followup_on_complaint(feedback_id=7, member_id=c.member_id, store_id=stores[1].pk)
        again = followup_on_complaint(feedback_id=7, member_id=c.member_id, store_id=stores[1].pk)
    assert first is not None and again is None
    assert first.reason == "complaint" and first.store_id == stores[1].pk
    assert first.due_date == local_today() + dt.timedelta(days=1)


def test_lapse_once_per_lapse_and_again_after_a_new_purchase(member_card, sell):
    lapsed, recent = member_card(), member_card()
    old = sell(lapsed)
    sell(recent)
    Sale.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=120))
    assert followups_detect_lapses() == 1
    assert followups_detect_lapses() == 0  # the job ran twice: still one task
    task = Followup.objects.get()
    assert (task.reason, task.member_id, task.source_id) == ("lapse", lapsed.member_id, old.pk)
    assert task.due_date == local_today() + dt.timedelta(days=7)
    # They come back, then lapse again: a new lapse, a new task.
    again = sell(lapsed)
    Sale.objects.filter(pk=again.pk).update(created_at=timezone.now() - dt.timedelta(days=100))
    assert followups_detect_lapses() == 1
    assert Followup.objects.filter(reason="lapse", member_id=lapsed.member_id).count() == 2


def test_lapse_days_come_from_the_policy(member_card, sell):
    c = member_card()
    sale = sell(c)
    Sale.objects.filter(pk=sale.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    assert followups_detect_lapses() == 0
    FollowupPolicy.objects.update(lapse_days=30)
    assert followups_detect_lapses() == 1


def test_overdue_sweep_marks_open_tasks_past_due_once(member_card, stores, staff):
    from huiyuan.core.permissions import Role

    c = member_card()
    today = local_today()
    past = Followup.objects.create(
        member_id=c.member_id,
        reason="manual",
        store=stores[0],
        assignee=staff[Role.CASHIER],
        due_date=today - dt.timedelta(days=1),
        created_at=timezone.now(),
    )
    due_today = Followup.objects.create(
        member_id=c.member_id,
        reason="manual",
        store=stores[0],
        due_date=today,
        created_at=timezone.now(),
    )
    result = followups_mark_overdue()
    assert result == {"overdue": 1, "reminded": 0}  # no care sending: nobody reminded
    past.refresh_from_db()
    due_today.refresh_from_db()
    assert past.status == "overdue" and past.overdue_at is not None
    assert due_today.status == "open"
    assert followups_mark_overdue() == {"overdue": 0, "reminded": 0}


def test_daily_task_runs_both(member_card, sell):
    sale = sell(member_card())
    Sale.objects.filter(pk=sale.pk).update(created_at=timezone.now() - dt.timedelta(days=200))
    result = followups_daily.call()
    assert result == {"overdue": 0, "reminded": 0, "lapses": 1}


def test_overdue_reminds_an_assignee_with_a_mobile_once(member_card, stores, staff):
    from huiyuan.care.models import Delivery
    from huiyuan.core.permissions import Role

    agent = staff[Role.CALL_CENTER]
    agent.mobile = "13900001111"
    agent.save(update_fields=["mobile"])
    task = Followup.objects.create(
        member_id=member_card().member_id,
        reason="manual",
        store=stores[0],
        assignee=agent,
        due_date=local_today() - dt.timedelta(days=2),
        created_at=timezone.now(),
    )
    assert followups_mark_overdue() == {"overdue": 1, "reminded": 1}
    sms = Delivery.objects.get(template_code="followup_overdue")
    assert (sms.kind, sms.member_id, sms.channel) == ("transactional", None, "sms")
    assert task.due_date.isoformat() in sms.body and "agent" in sms.body
    task.refresh_from_db()
    assert task.reminded_at is not None
    assert followups_mark_overdue() == {"overdue": 0, "reminded": 0}
    assert Delivery.objects.count() == 1
