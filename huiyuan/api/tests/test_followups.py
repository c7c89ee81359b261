"""Follow-up, feedback and survey endpoints: flows, strict input, roles, store scope."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from huiyuan.core.clock import local_today
from huiyuan.core.permissions import ROLE_PERMS, Perm, Role
from huiyuan.followups.models import Followup
from huiyuan.ledger.tests.factories import member
from huiyuan.surveys import services as survey_services

from .conftest import error_of

pytestmark = pytest.mark.django_db

TOMORROW = (local_today() + dt.timedelta(days=1)).isoformat()


def test_a_task_from_creation_to_outcome(as_staff, cashier, staff):
    m = member(cashier)
    manager, counter = as_staff(Role.STORE_MANAGER), as_staff(Role.CASHIER)
    r = manager.post("/followups", {"member_id": m.pk, "due_date": TOMORROW, "note": "新会员"})
    assert r.status_code == 201, r.json()
    task = r.json()
    assert (task["reason"], task["status"], task["member_code"]) == ("manual", "open", m.code)
    assert [t["id"] for t in counter.get("/followups/queue").json()] == [task["id"]]
    r = counter.post(f"/followups/{task['id']}/take", {})
    assert r.json()["assignee_id"] == staff[Role.CASHIER].pk
    assert [t["id"] for t in counter.get("/followups?mine=true").json()] == [task["id"]]
    r = counter.post(f"/followups/{task['id']}/attempts", {"outcome": "call_back"})
    assert error_of(r)["code"] == "call_back_date_required"
    r = counter.post(f"/followups/{task['id']}/attempts", {"outcome": "reached", "note": "满意"})
    assert r.status_code == 201 and r.json()["outcome"] == "reached"
    detail = counter.get(f"/followups/{task['id']}").json()
    assert detail["status"] == "done"
    assert [(h["outcome"], h["note"]) for h in detail["history"]] == [("reached", "满意")]
    assert [t["id"] for t in counter.get(f"/followups?member_id={m.pk}").json()] == [task["id"]]


def test_strict_input(as_staff, cashier):
    m = member(cashier)
    manager = as_staff(Role.STORE_MANAGER)
    for body in (
        {"member_id": str(m.pk), "due_date": TOMORROW},
        {"member_id": m.pk, "due_date": 20261201},
        {"member_id": m.pk, "due_date": TOMORROW, "extra": 1},
    ):
        assert manager.post("/followups", body).status_code == 422
    r = manager.post("/followups", {"member_id": m.pk, "due_date": "2020-01-01"})
    assert error_of(r)["code"] == "invalid_due_date"
    assert not Followup.objects.exists()


def test_feedback_complaint_through_the_api(as_staff, cashier, stores):
    m = member(cashier)
    agent = as_staff(Role.CALL_CENTER)
    r = agent.post(
        "/feedback",
        {"member_id": m.pk, "category": "complaint", "text": "等太久", "store_id": stores[1].pk},
    )
    assert r.status_code == 201, r.json()
    fb = r.json()
    assert fb["followup_id"] == Followup.objects.get(reason="complaint").pk
    r = agent.post(f"/feedback/{fb['id']}/replies", {"text": "抱歉，已改进"})
    assert r.status_code == 201
    r = agent.post(f"/feedback/{fb['id']}/status", {"status": "resolved"})
    assert r.json()["status"] == "resolved" and len(r.json()["replies"]) == 1
    manager = as_staff(Role.STORE_MANAGER)  # stores[0] only
    assert manager.get("/feedback").json() == []
    r = manager.get(f"/feedback/{fb['id']}")
    assert r.status_code == 404
    r = manager.get(f"/feedback?store_id={stores[1].pk}")
    assert error_of(r)["code"] == "store_forbidden"


def test_survey_built_answered_counted_and_exported(as_staff, cashier):
    mk = as_staff(Role.MARKETER)
    r = mk.post("/surveys", {"title": "满意度"})
    assert r.status_code == 201, r.json()
    sid = r.json()["id"]
    r = mk.post(
        f"/surveys/{sid}/questions",
        {"kind": "single", "text": "来店频率", "choices": ["每周", "每月"]},
    )
    assert r.status_code == 201, r.json()
    r = mk.post(f"/surveys/{sid}/questions", {"kind": "rating", "text": "评分"})
    questions = r.json()["questions"]
    r = mk.post(f"/surveys/{sid}/questions/{questions[1]['id']}/move", {"offset": -1})
    assert [q["text"] for q in r.json()["questions"]] == ["评分", "来店频率"]
    assert mk.post(f"/surveys/{sid}/publish", {}).json()["status"] == "published"
    m = member(cashier)
    r = mk.post(f"/surveys/{sid}/distributions", {"target": "everyone"})
    assert r.status_code == 201 and r.json()["invited"] == 1
    survey_services.survey_answer(
        survey_id=sid,
        member_id=m.pk,
        answers=[
            survey_services.AnswerInput(question_id=questions[0]["id"], choices=[1]),
            survey_services.AnswerInput(question_id=questions[1]["id"], rating=4),
        ],
        channel="link",
    )
    stats = mk.get(f"/surveys/{sid}/stats").json()
    assert stats["responses"] == 1 and stats["invited"] == 1
    rating, single = stats["questions"]
    assert rating["average"] == "4.00" and [o["count"] for o in rating["options"]] == [
        0,
        0,
        0,
        1,
        0,
    ]
    assert [(o["label"], o["count"], o["percent"]) for o in single["options"]] == [
        ("每周", 0, "0.0"),
        ("每月", 1, "100.0"),
    ]
    r = mk.client.get(f"/api/v1/surveys/{sid}/responses.xlsx")
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[1][2:] == (m.code, m.home_store_id, 4, "每月")
    r = mk.post(f"/surveys/{sid}/questions", {"kind": "text", "text": "晚了"})
    assert error_of(r)["code"] == "survey_not_draft"


# Every operation, with a valid body: the role matrix below and in test_permissions.
FOLLOWUP_CALLS = [
    ("GET", "/followups", None),
    ("GET", "/followups/queue", None),
    ("POST", "/followups", {"member_id": 1, "due_date": TOMORROW}),
    ("GET", "/followups/policy", None),
    (
        "PUT",
        "/followups/policy",
        {
            "first_purchase_enabled": True,
            "first_purchase_days": 3,
            "complaint_days": 1,
            "lapse_enabled": True,
            "lapse_days": 90,
            "lapse_task_days": 7,
        },
    ),
    ("GET", "/followups/{followup_id}", None),
    ("POST", "/followups/{followup_id}/assign", {"assignee_id": None}),
    ("POST", "/followups/{followup_id}/take", {}),
    ("POST", "/followups/{followup_id}/attempts", {"outcome": "no_answer"}),
    ("POST", "/followups/{followup_id}/cancel", {"reason": "重复"}),
    ("GET", "/feedback", None),
    ("POST", "/feedback", {"member_id": 1, "category": "praise", "text": "好"}),
    ("GET", "/feedback/{feedback_id}", None),
    ("POST", "/feedback/{feedback_id}/replies", {"text": "谢谢"}),
    ("POST", "/feedback/{feedback_id}/status", {"status": "resolved"}),
    ("POST", "/feedback/{feedback_id}/owner", {"owner_id": None}),
    ("GET", "/surveys", None),
    ("POST", "/surveys", {"title": "问卷"}),
    ("GET", "/surveys/{survey_id}", None),
    ("PUT", "/surveys/{survey_id}", {"title": "问卷"}),
    ("POST", "/surveys/{survey_id}/questions", {"kind": "text", "text": "建议"}),
    ("PUT", "/surveys/{survey_id}/questions/{question_id}", {"kind": "text", "text": "建议"}),
    ("DELETE", "/surveys/{survey_id}/questions/{question_id}", None),
    ("POST", "/surveys/{survey_id}/questions/{question_id}/move", {"offset": 1}),
    ("POST", "/surveys/{survey_id}/publish", {}),
    ("POST", "/surveys/{survey_id}/close", {}),
    ("POST", "/surveys/{survey_id}/distributions", {"target": "everyone"}),
    ("GET", "/surveys/{survey_id}/stats", None),
    ("GET", "/surveys/{survey_id}/responses.xlsx", None),
]
FOLLOWUP_ROUTES = {(method, path) for method, path, _body in FOLLOWUP_CALLS}
FOLLOWUP_PATHS: dict[str, set[str]] = {}
for _method, _path, _body in FOLLOWUP_CALLS:
    FOLLOWUP_PATHS.setdefault(f"/api/v1{_path}", set()).add(_method.lower())
FOLLOWUP_KEYED: set[tuple[str, str]] = set()  # not money: no Idempotency-Key

P = Perm
NEEDS = {
    ("GET", "/followups"): P.FOLLOWUP_VIEW,
    ("GET", "/followups/queue"): P.FOLLOWUP_VIEW,
    ("POST", "/followups"): P.FOLLOWUP_MANAGE,
    ("GET", "/followups/policy"): P.FOLLOWUP_VIEW,
    ("PUT", "/followups/policy"): P.FOLLOWUP_CONFIGURE,
    ("GET", "/followups/{followup_id}"): P.FOLLOWUP_VIEW,
    ("POST", "/followups/{followup_id}/assign"): P.FOLLOWUP_MANAGE,
    ("POST", "/followups/{followup_id}/take"): P.FOLLOWUP_WORK,
    ("POST", "/followups/{followup_id}/attempts"): P.FOLLOWUP_WORK,
    ("POST", "/followups/{followup_id}/cancel"): P.FOLLOWUP_MANAGE,
    ("GET", "/feedback"): P.FEEDBACK_VIEW,
    ("POST", "/feedback"): P.FEEDBACK_MANAGE,
    ("GET", "/feedback/{feedback_id}"): P.FEEDBACK_VIEW,
    ("POST", "/feedback/{feedback_id}/replies"): P.FEEDBACK_MANAGE,
    ("POST", "/feedback/{feedback_id}/status"): P.FEEDBACK_MANAGE,
    ("POST", "/feedback/{feedback_id}/owner"): P.FEEDBACK_MANAGE,
}


def _needs(method: str, path: str) -> Perm:
    if path.startswith("/surveys"):
        return P.SURVEY_VIEW if method == "GET" else P.SURVEY_MANAGE
    return NEEDS[(method, path)]


@pytest.mark.parametrize(("method", "path", "body"), FOLLOWUP_CALLS)
@pytest.mark.parametrize(
    "role", [Role.STORE_MANAGER, Role.CASHIER, Role.CALL_CENTER, Role.MARKETER]
)
def test_each_role_is_refused_exactly_what_it_does_not_hold(as_staff, role, method, path, body):
    url = path.format(followup_id=1, feedback_id=1, survey_id=1, question_id=1)
    response = as_staff(role).call(method, url, body)
    if _needs(method, path) in ROLE_PERMS[role]:
        assert response.status_code != 403, (role, method, path, response.content)
    else:
        assert response.status_code == 403, (role, method, path, response.content)
        assert error_of(response)["code"] == "permission_denied"
