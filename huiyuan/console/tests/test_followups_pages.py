"""Console pages of follow-ups, surveys and feedback: who sees what, the flows by form."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Role
from huiyuan.followups import services as followup_services
from huiyuan.followups.models import Attempt, Followup
from huiyuan.surveys import services as survey_services
from huiyuan.surveys.models import Feedback, Question, Survey

pytestmark = pytest.mark.django_db

TOMORROW = local_today() + dt.timedelta(days=1)


@pytest.fixture
def task(actors, make_member):
    m = make_member()
    return followup_services.followup_create(
        actor=actors[Role.STORE_MANAGER],
        data=followup_services.FollowupInput(member_id=m.pk, due_date=TOMORROW, note="新会员回访"),
    )


def test_lists_tabs_and_member_page(client_for, task):
    c = client_for(Role.CASHIER)
    for view in ("mine", "queue", "overdue", "all"):
        r = c.get(f"/followups/?view={view}")
        assert r.status_code == 200
    body = c.get("/followups/?view=queue").content.decode()
    assert f'data-followup="{task.pk}"' in body
    page = c.get(f"/members/{task.member_id}/").content.decode()
    assert 'data-testid="member-followups"' in page
    assert "/followups/new/?member=" not in page  # a cashier cannot create a task
    assert 'data-testid="nav-followups"' in page


def test_cashier_takes_and_logs_an_outcome(client_for, task, staff):
    c = client_for(Role.CASHIER)
    assert c.post(f"/followups/{task.pk}/take/").status_code == 302
    r = c.post(f"/followups/{task.pk}/", {"outcome": "call_back", "note": "忙"})
    assert r.status_code == 200
    assert "请选择回访日期" in r.content.decode()
    assert Attempt.objects.count() == 0
    r = c.post(f"/followups/{task.pk}/", {"outcome": "reached", "note": "很满意"})
    assert r.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.assignee_id) == ("done", staff[Role.CASHIER].pk)
    page = client_for(Role.STORE_MANAGER).get(f"/members/{task.member_id}/").content.decode()
    assert "很满意" in page


def test_manager_creates_a_task_from_the_form(client_for, make_member, staff):
    m = make_member()
    c = client_for(Role.STORE_MANAGER)
    assert c.get(f"/followups/new/?member={m.pk}").status_code == 200
    r = c.post(
        "/followups/new/",
        {
            "member_code": m.code,
            "due_date": TOMORROW.isoformat(),
            "assignee": str(staff[Role.CASHIER].pk),
            "note": "生日回访",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    t = Followup.objects.get()
    assert (t.assignee_id, t.note, t.reason) == (staff[Role.CASHIER].pk, "生日回访", "manual")


def test_roles_and_pages_refused(client_for, task):
    marketer = client_for(Role.MARKETER)
    assert marketer.get("/followups/").status_code == 403
    assert marketer.get(f"/followups/{task.pk}/").status_code == 403
    cashier = client_for(Role.CASHIER)
    assert cashier.get("/followups/settings/").status_code == 403
    assert cashier.get("/surveys/").status_code == 403
    assert cashier.post("/followups/new/", {}).status_code == 403
    assert client_for(Role.OWNER).get("/followups/settings/").status_code == 200


def test_survey_builder_publish_and_stats(client_for, make_member):
    c = client_for(Role.MARKETER)
    assert c.get("/surveys/").status_code == 200
    r = c.post("/surveys/new/", {"title": "满意度调查", "description": "一分钟"})
    survey = Survey.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/surveys/{survey.pk}/"
    r = c.post(
        f"/surveys/{survey.pk}/questions/",
        {"kind": "single", "text": "来店频率", "choices": "每周\n每月\n", "required": "on"},
    )
    assert r.status_code == 302
    r = c.post(
        f"/surveys/{survey.pk}/questions/", {"kind": "single", "text": "坏", "choices": "一"}
    )
    assert r.status_code == 200 and Question.objects.count() == 1
    c.post(f"/surveys/{survey.pk}/questions/", {"kind": "rating", "text": "评分", "required": "on"})
    q2 = Question.objects.get(text="评分")
    c.post(f"/surveys/{survey.pk}/questions/{q2.pk}/", {"action": "up"})
    assert [q.text for q in survey.questions.order_by("position")] == ["评分", "来店频率"]
    c.post(f"/surveys/{survey.pk}/status/", {"status": "published"})
    survey.refresh_from_db()
    assert survey.status == "published"
    m = make_member()
    r = c.post(f"/surveys/{survey.pk}/send/", {"target": "everyone"})
    assert r.status_code == 302 and survey.invitations.count() == 1
    link = c.get(f"/surveys/{survey.pk}/link/?member={m.code}").content.decode()
    assert "/m/surveys/t/" in link
    r = c.get(f"/surveys/{survey.pk}/stats/")
    assert r.status_code == 200 and 'id="survey-chart-data"' in r.content.decode()
    r = c.get(f"/surveys/{survey.pk}/responses.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")


def test_feedback_pages(client_for, make_member, stores):
    m = make_member()
    c = client_for(Role.CASHIER)
    r = c.post(
        "/feedback/new/", {"member_code": m.code, "category": "complaint", "text": "排队太久"}
    )
    fb = Feedback.objects.get()
    assert r.status_code == 302 and fb.followup_id is not None and fb.store_id == stores[0].pk
    r = c.post(f"/feedback/{fb.pk}/", {"text": "已安排加开收银台"})
    assert r.status_code == 302
    c.post(f"/feedback/{fb.pk}/status/", {"status": "resolved"})
    fb.refresh_from_db()
    assert fb.status == "resolved" and fb.replies.count() == 1
    assert "排队太久" in c.get("/feedback/").content.decode()
    # Another store's feedback: not found for this cashier.
    other = survey_services.feedback_file_by_member(
        member_id=m.pk, category="praise", text="很好", store_id=stores[1].pk
    )
    assert c.get(f"/feedback/{other.pk}/").status_code == 404
    assert "很好" not in c.get("/feedback/").content.decode()
