"""Activity endpoints: sign-up with a fee, the waiting list, cancel, statistics; strict
input, Idempotency-Key, the role matrix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.activities.models import Signup
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.wallet.services import wallet_recharge

from .conftest import error_of

pytestmark = pytest.mark.django_db


def _activity_body(**extra):
    starts = timezone.now() + dt.timedelta(days=2)
    body = {
        "code": "BAKE",
        "name": "亲子烘焙课",
        "kind": "signup",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=2)).isoformat(),
        "capacity": 1,
        "fee_fen": 2000,
        "refund_rule": "full",
        "location": "二楼烘焙教室",
    }
    body.update(extra)
    return body


@pytest.fixture
def paying_card(cashier, owner):
    def make():
        c = card(cashier, owner)
        wallet_recharge(
            actor=cashier, card_id=c.pk, amount_fen=5000, method="cash", idempotency_key=key()
        )
        return c

    return make


def test_create_publish_sign_up_wait_cancel_through_the_api(as_staff, paying_card):
    marketer, counter = as_staff(Role.MARKETER), as_staff(Role.CASHIER)
    r = marketer.post("/activities", _activity_body(), **{"Idempotency-Key": "a1"})
    assert r.status_code == 201, r.json()
    activity = r.json()
    assert (activity["status"], activity["seats_left"]) == ("draft", 1)
    r = marketer.post(f"/activities/{activity['id']}/publish", {}, **{"Idempotency-Key": "p1"})
    assert r.json()["status"] == "published"
    first, second = paying_card(), paying_card()
    r = counter.post(
        f"/activities/{activity['id']}/signups", {"card_id": first.pk}, **{"Idempotency-Key": "s1"}
    )
    assert r.status_code == 201, r.json()
    seated = r.json()
    assert (seated["status"], seated["fee_fen"], seated["balances_after"]["principal_fen"]) == (
        "seated",
        2000,
        3000,
    )
    r = counter.post(
        f"/activities/{activity['id']}/signups", {"card_id": second.pk}, **{"Idempotency-Key": "s2"}
    )
    assert r.json()["status"] == "waitlisted"
    r = counter.post(
        f"/activities/signups/{seated['id']}/cancel",
        {"reason": "临时有事"},
        **{"Idempotency-Key": "c1"},
    )
    assert r.status_code == 200, r.json()
    assert (r.json()["refund_fen"], r.json()["balances_after"]["principal_fen"]) == (2000, 5000)
    assert Signup.objects.get(card_id=second.pk).status == "seated"
    stats = counter.get(f"/activities/{activity['id']}/stats").json()
    assert (stats["participants"], stats["waitlisted"], stats["cancelled"], stats["fees_fen"]) == (
        1,
        0,
        1,
        2000,
    )
    listed = counter.get(f"/activities/{activity['id']}/signups").json()
    assert [s["status"] for s in listed] == ["cancelled", "seated"]


def test_refusals_change_nothing(as_staff, paying_card):
    marketer, counter = as_staff(Role.MARKETER), as_staff(Role.CASHIER)
    activity = marketer.post(
        "/activities", _activity_body(fee_fen=9000), **{"Idempotency-Key": "a"}
    ).json()
    c = paying_card()
    r = counter.post(
        f"/activities/{activity['id']}/signups", {"card_id": c.pk}, **{"Idempotency-Key": "x"}
    )
    assert error_of(r)["code"] == "activity_not_open"
    marketer.post(f"/activities/{activity['id']}/publish", {}, **{"Idempotency-Key": "p"})
    r = counter.post(f"/activities/{activity['id']}/signups", {"card_id": c.pk})
    assert error_of(r)["code"] == "idempotency_key_required"
    r = counter.post(
        f"/activities/{activity['id']}/signups", {"card_id": str(c.pk)}, **{"Idempotency-Key": "y"}
    )
    assert r.status_code == 422
    r = counter.post(
        f"/activities/{activity['id']}/signups", {"card_id": c.pk}, **{"Idempotency-Key": "z"}
    )
    assert error_of(r)["code"] == "insufficient_principal"
    assert balances(c)["principal"] == 5000
    assert not Signup.objects.exists()
    r = marketer.post(
        "/activities", _activity_body(code="BAD", capacity=0), **{"Idempotency-Key": "b"}
    )
    assert error_of(r)["code"] == "invalid_capacity"


# Every activity operation, with a valid body: the role matrix below.
ACTIVITY_CALLS = [
    ("GET", "/activities", None),
    (
        "POST",
        "/activities",
        {
            "code": "X",
            "name": "X",
            "kind": "signup",
            "starts_at": "2030-01-01T10:00:00+08:00",
            "ends_at": "2030-01-01T12:00:00+08:00",
            "capacity": 1,
        },
    ),
    ("GET", "/activities/{activity_id}", None),
    (
        "PUT",
        "/activities/{activity_id}",
        {
            "code": "X",
            "name": "X",
            "kind": "signup",
            "starts_at": "2030-01-01T10:00:00+08:00",
            "ends_at": "2030-01-01T12:00:00+08:00",
            "capacity": 1,
        },
    ),
    ("POST", "/activities/{activity_id}/publish", {}),
    ("POST", "/activities/{activity_id}/end", {}),
    ("POST", "/activities/{activity_id}/cancel", {"reason": "天气"}),
    ("GET", "/activities/{activity_id}/stats", None),
    ("GET", "/activities/{activity_id}/signups", None),
    ("GET", "/activities/{activity_id}/notices", None),
    ("POST", "/activities/{activity_id}/signups", {"card_id": 1}),
    ("GET", "/activities/signups/{signup_id}", None),
    ("POST", "/activities/signups/{signup_id}/cancel", {}),
    ("POST", "/activities/signups/{signup_id}/attend", {}),
    ("POST", "/activities/{activity_id}/claims", {"card_id": 1}),
    ("GET", "/activities/{activity_id}/dry-run", None),
    ("GET", "/activities/earn-rules/{rule_id}/dry-run", None),
    ("GET", "/points-tasks", None),
    ("PUT", "/points-tasks/{code}", {"points": 10, "active": True}),
    ("POST", "/points-tasks/{code}/completions", {"member_id": 1}),
    ("POST", "/points-grants", {"points": 1, "reason": "回馈", "member_codes": ["M1"]}),
    ("GET", "/points-grants/{batch_id}", None),
    ("GET", "/points-days", None),
    ("POST", "/points-days", {"name": "会员日", "weekdays": [3]}),
    ("PUT", "/points-days/{day_id}", {"name": "会员日", "weekdays": [3]}),
    ("GET", "/points-days/{day_id}/dry-run", None),
]
ACTIVITY_ROUTES = {(method, path) for method, path, _body in ACTIVITY_CALLS}
ACTIVITY_PATHS: dict[str, set[str]] = {}
for _method, _path, _body in ACTIVITY_CALLS:
    ACTIVITY_PATHS.setdefault(f"/api/v1{_path}", set()).add(_method.lower())
ACTIVITY_UNKEYED = {
    ("POST", "/activities/{activity_id}/end"),
    ("POST", "/activities/{activity_id}/cancel"),
}
ACTIVITY_KEYED = {
    (m.lower(), f"/api/v1{p}")
    for m, p, _b in ACTIVITY_CALLS
    if m != "GET" and (m, p) not in ACTIVITY_UNKEYED
}


@pytest.mark.parametrize(("method", "path", "body"), ACTIVITY_CALLS)
def test_a_role_without_activity_permissions_is_refused(as_staff, method, path, body):
    """The call-center agent holds no activity.* permission."""
    agent = as_staff(Role.CALL_CENTER)
    url = path.format(activity_id=1, signup_id=1, rule_id=1, code="review", batch_id=1, day_id=1)
    response = agent.call(method, url, body, **{"Idempotency-Key": key()})
    assert response.status_code == 403, (method, path, response.content)


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "status"),
    [
        (Role.CASHIER, "GET", "/activities", None, 200),
        (Role.CASHIER, "POST", "/activities", ACTIVITY_CALLS[1][2], 403),
        (Role.MARKETER, "POST", "/activities", ACTIVITY_CALLS[1][2], 201),
        (Role.STORE_MANAGER, "PUT", "/points-tasks/review", {"points": 5, "active": True}, 403),
        (Role.HQ_ADMIN, "PUT", "/points-tasks/review", {"points": 5, "active": True}, 200),
        (Role.CASHIER, "GET", "/points-tasks", None, 200),
    ],
)
def test_roles_that_may(as_staff, role, method, path, body, status):
    response = as_staff(role).call(method, path, body, **{"Idempotency-Key": key()})
    assert response.status_code == status, response.content
