"""Feedback and complaints: filing, replies, status, owner; a complaint makes a follow-up."""

from __future__ import annotations

import pytest

from huiyuan.core.errors import PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.followups.models import Followup
from huiyuan.ledger.tests.factories import member
from huiyuan.surveys import selectors, services
from huiyuan.surveys.models import Feedback, Reply

pytestmark = pytest.mark.django_db


def test_member_complaint_makes_a_follow_up_and_staff_resolve_it(cashier, actors, stores, staff):
    m = member(cashier)
    fb = services.feedback_file_by_member(
        member_id=m.pk, category="complaint", text="收银员态度不好", store_id=stores[0].pk
    )
    task = Followup.objects.get()
    assert (task.reason, task.member_id, task.store_id, fb.followup_id) == (
        "complaint",
        m.pk,
        stores[0].pk,
        task.pk,
    )
    manager = actors[Role.STORE_MANAGER]
    services.feedback_reply(actor=manager, feedback_id=fb.pk, text="非常抱歉，已批评教育")
    fb.refresh_from_db()
    assert (fb.status, fb.owner_id) == ("in_progress", staff[Role.STORE_MANAGER].pk)
    services.feedback_reply_by_member(member_id=m.pk, feedback_id=fb.pk, text="谢谢")
    services.feedback_set_status(actor=manager, feedback_id=fb.pk, status="resolved")
    fb.refresh_from_db()
    assert fb.status == "resolved" and fb.resolved_at is not None
    assert [(r.from_member, r.text) for r in fb.replies.all()] == [
        (False, "非常抱歉，已批评教育"),
        (True, "谢谢"),
    ]


def test_suggestion_makes_no_follow_up_and_bad_input_nothing(cashier, actors):
    m = member(cashier)
    services.feedback_file(
        actor=actors[Role.CASHIER], member_id=m.pk, category="suggestion", text="希望延长营业时间"
    )
    assert not Followup.objects.exists()
    for category, text, code in (
        ("rant", "x", "invalid_category"),
        ("praise", "  ", "text_required"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            services.feedback_file(
                actor=actors[Role.CASHIER], member_id=m.pk, category=category, text=text
            )
        assert exc.value.code == code
    assert Feedback.objects.count() == 1


def test_store_scope_of_feedback(cashier, actors, stores, staff):
    m = member(cashier)
    elsewhere = services.feedback_file(
        actor=actors[Role.CALL_CENTER],
        member_id=m.pk,
        category="complaint",
        text="东城店排队太久",
        store_id=stores[1].pk,
    )
    manager = actors[Role.STORE_MANAGER]
    assert list(selectors.feedback_list(actor=manager)) == []
    assert [f.pk for f in selectors.feedback_list(actor=actors[Role.CALL_CENTER])] == [elsewhere.pk]
    for call in (
        lambda: services.feedback_reply(actor=manager, feedback_id=elsewhere.pk, text="好"),
        lambda: services.feedback_set_status(
            actor=manager, feedback_id=elsewhere.pk, status="resolved"
        ),
    ):
        with pytest.raises(PermissionDenied) as exc:
            call()
        assert exc.value.code == "store_forbidden"
    with pytest.raises(PermissionDenied):
        services.feedback_file(
            actor=manager, member_id=m.pk, category="praise", text="好", store_id=stores[1].pk
        )
    with pytest.raises(ValidationFailed) as exc:  # the cashier works at stores[0] only
        services.feedback_assign(
            actor=actors[Role.HQ_ADMIN],
            feedback_id=elsewhere.pk,
            owner_id=staff[Role.CASHIER].pk,
        )
    assert exc.value.code == "invalid_owner"
    elsewhere.refresh_from_db()
    assert (elsewhere.status, elsewhere.owner_id) == ("open", None)
    assert Reply.objects.count() == 0
    with pytest.raises(PermissionDenied):  # a marketer reads but does not handle
        services.feedback_reply(actor=actors[Role.MARKETER], feedback_id=elsewhere.pk, text="好")
