"""Promotions, holidays and the joining policy over the API: publish, versions, end,
the holiday calendar, the joining policy round trip; refusals change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.api.tests.conftest import error_of
from huiyuan.audit.models import AuditEvent
from huiyuan.checkout.models import Holiday, JoiningPolicy, Promotion
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card_type

pytestmark = pytest.mark.django_db

PROMOTION_PATHS = {
    "/api/v1/promotions": {"get", "post"},
    "/api/v1/promotions/{promotion_id}": {"get"},
    "/api/v1/promotions/{promotion_id}/end": {"post"},
    "/api/v1/holidays": {"get"},
    "/api/v1/holidays/{day}": {"put", "delete"},
    "/api/v1/joining-policy": {"get", "put"},
}

PROMOTION_ROUTES = {
    (method.upper(), path.removeprefix("/api/v1"))
    for path, methods in PROMOTION_PATHS.items()
    for method in methods
}

FUEL_WED = {
    "code": "fuel92-wed",
    "name": "92# 周三每升减0.30",
    "kind": "amount_off_per_unit",
    "value": 30,
    "product_ids": [92],
    "weekdays": [3],
}


def snapshot():
    return (
        list(Promotion.objects.order_by("pk").values()),
        list(Holiday.objects.order_by("pk").values()),
        list(JoiningPolicy.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def hq(as_staff):
    return as_staff(Role.OWNER)


def test_publish_read_and_a_retry_publishes_once(hq):
    first = hq.post("/promotions", FUEL_WED, **{"Idempotency-Key": "p-1"})
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["code"], body["version"], body["kind"], body["value"]) == (
        "fuel92-wed",
        1,
        "amount_off_per_unit",
        30,
    )
    assert (body["weekdays"], body["product_ids"], body["state"]) == ([3], [92], "current")
    assert body["effective_to"] is None and body["stacking"] == "best_of"
    again = hq.post("/promotions", FUEL_WED, **{"Idempotency-Key": "p-1"})
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    assert Promotion.objects.count() == 1
    detail = hq.get(f"/promotions/{body['id']}").json()
    assert [v["version"] for v in detail["versions"]] == [1]
    listed = hq.get("/promotions?code=fuel92-wed").json()
    assert [row["id"] for row in listed] == [body["id"]]


def test_version_two_ends_version_one_at_its_start(hq):
    v1 = hq.post("/promotions", FUEL_WED, **{"Idempotency-Key": "p-1"}).json()
    start = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    v2 = hq.post(
        "/promotions",
        {**FUEL_WED, "value": 50, "effective_from": start.isoformat()},
        **{"Idempotency-Key": "p-2"},
    )
    assert v2.status_code == 201, v2.content
    assert (v2.json()["version"], v2.json()["state"]) == (2, "scheduled")
    first = Promotion.objects.get(pk=v1["id"])
    assert first.effective_to == start
    detail = hq.get(f"/promotions/{v1['id']}").json()
    assert [(v["version"], v["state"]) for v in detail["versions"]] == [
        (2, "scheduled"),
        (1, "current"),
    ]
    # In force tomorrow: version 1; in three days: version 2.
    tomorrow = (timezone.now() + dt.timedelta(days=1)).isoformat()
    later = (start + dt.timedelta(days=1)).isoformat()
    active = hq.client.get("/api/v1/promotions", {"active_at": tomorrow}).json()
    assert [r["version"] for r in active] == [1]
    active = hq.client.get("/api/v1/promotions", {"active_at": later}).json()
    assert [r["version"] for r in active] == [2]


def test_end_now(hq):
    v1 = hq.post("/promotions", FUEL_WED, **{"Idempotency-Key": "p-1"}).json()
    ended = hq.post(f"/promotions/{v1['id']}/end", {})
    assert ended.status_code == 200, ended.content
    assert ended.json()["state"] == "ended"
    row = Promotion.objects.get(pk=v1["id"])
    assert row.effective_to is not None and row.effective_to <= timezone.now()
    assert hq.get("/promotions").json()[0]["state"] == "ended"
    assert AuditEvent.objects.filter(action="promotion.ended").count() == 1


def test_end_now_also_withdraws_a_scheduled_version(hq):
    v1 = hq.post("/promotions", FUEL_WED, **{"Idempotency-Key": "p-1"}).json()
    start = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    v2 = hq.post(
        "/promotions",
        {**FUEL_WED, "value": 50, "effective_from": start.isoformat()},
        **{"Idempotency-Key": "p-2"},
    ).json()
    ended = hq.post(f"/promotions/{v1['id']}/end", {}).json()
    assert (ended["version"], ended["state"]) == (2, "ended")
    first, second = Promotion.objects.get(pk=v1["id"]), Promotion.objects.get(pk=v2["id"])
    assert first.effective_to <= timezone.now() and second.effective_to == start
    later = (start + dt.timedelta(days=1)).isoformat()
    assert hq.client.get("/api/v1/promotions", {"active_at": later}).json() == []


def test_bad_input_is_refused_with_a_stable_code_and_nothing_changes(hq, as_staff):
    hq.post("/promotions", FUEL_WED, **{"Idempotency-Key": "p-1"})
    before = snapshot()
    cases = [
        ({**FUEL_WED, "kind": "percent_off", "value": 1500}, "invalid_value"),
        ({**FUEL_WED, "value": 30.0}, "invalid_request"),
        ({**FUEL_WED, "weekdays": [8]}, "invalid_request"),
        (
            {**FUEL_WED, "date_ranges": [{"first": "2030-05-02", "last": "2030-05-01"}]},
            "invalid_dates",
        ),
        ({**FUEL_WED, "effective_from": "2020-01-01T07:30:00+08:00"}, "effective_from_in_past"),
    ]
    for body, code in cases:
        response = hq.post("/promotions", body, **{"Idempotency-Key": f"bad-{code}"})
        assert response.status_code == 422, (code, response.content)
        assert error_of(response)["code"] == code
    missing = hq.post("/promotions", FUEL_WED)
    assert error_of(missing)["code"] == "idempotency_key_required"
    cashier = as_staff(Role.CASHIER)
    refused = cashier.post("/promotions", FUEL_WED, **{"Idempotency-Key": "c-1"})
    assert refused.status_code == 403
    assert hq.post("/promotions/999999/end", {}).status_code == 404
    assert snapshot() == before


def test_holidays_set_list_rename_delete(hq):
    put = hq.call("PUT", "/holidays/2030-10-01", {"name": "国庆节"})
    assert put.status_code == 200 and put.json() == {"date": "2030-10-01", "name": "国庆节"}
    hq.call("PUT", "/holidays/2031-01-01", {"name": "元旦"})
    assert [h["date"] for h in hq.get("/holidays").json()] == ["2030-10-01", "2031-01-01"]
    assert hq.get("/holidays?year=2031").json() == [{"date": "2031-01-01", "name": "元旦"}]
    hq.call("PUT", "/holidays/2030-10-01", {"name": "国庆"})
    assert Holiday.objects.get(date=dt.date(2030, 10, 1)).name == "国庆"
    removed = hq.call("DELETE", "/holidays/2030-10-01")
    assert removed.status_code == 200 and removed.json()["date"] == "2030-10-01"
    assert list(Holiday.objects.values_list("name", flat=True)) == ["元旦"]
    before = snapshot()
    gone = hq.call("DELETE", "/holidays/2030-10-01")
    assert gone.status_code == 404 and error_of(gone)["code"] == "holiday_not_found"
    bad = hq.call("PUT", "/holidays/2030-02-30", {"name": "无"})
    assert bad.status_code == 422
    assert snapshot() == before


def test_joining_policy_round_trip_and_refusal(hq, owner):
    assert hq.get("/joining-policy").json() == {
        "mode": "off",
        "threshold_fen": 0,
        "fee_fen": 0,
        "card_type": None,
    }
    ctype = card_type(owner, name="会员卡")
    put = hq.call(
        "PUT",
        "/joining-policy",
        {
            "mode": "spend_threshold",
            "threshold_fen": 10000,
            "fee_fen": 500,
            "card_type_id": ctype.pk,
        },
    )
    assert put.status_code == 200, put.content
    expected = {
        "mode": "spend_threshold",
        "threshold_fen": 10000,
        "fee_fen": 500,
        "card_type": {"id": ctype.pk, "code": ctype.code, "name": ctype.name},
    }
    assert put.json() == expected and hq.get("/joining-policy").json() == expected
    before = snapshot()
    refused = hq.call("PUT", "/joining-policy", {"mode": "spend_threshold", "threshold_fen": 0})
    assert refused.status_code == 422 and error_of(refused)["code"] == "threshold_required"
    unknown = hq.call("PUT", "/joining-policy", {"mode": "first_purchase", "card_type_id": 99999})
    assert error_of(unknown)["code"] == "unknown_card_type"
    assert error_of(hq.call("PUT", "/joining-policy", {"mode": "always"}))["code"] == (
        "invalid_request"
    )
    assert snapshot() == before


@pytest.mark.parametrize(("method", "route"), sorted(PROMOTION_ROUTES))
def test_roles_as_in_the_console(as_staff, hq, method, route):
    """Promotions and holidays: catalog.view reads, catalog.manage writes; the joining
    policy: member.view reads, member.configure writes (checked role by role)."""
    from huiyuan.core.permissions import ROLE_PERMS, Perm

    made = hq.post("/promotions", FUEL_WED, **{"Idempotency-Key": "roles"}).json()
    path = route.format(promotion_id=made["id"], day="2030-10-01")
    body = {
        ("POST", "/promotions"): {**FUEL_WED, "code": "other"},
        ("POST", "/promotions/{promotion_id}/end"): {},
        ("PUT", "/holidays/{day}"): {"name": "国庆节"},
        ("PUT", "/joining-policy"): {"mode": "off"},
    }.get((method, route))
    if route.startswith("/joining-policy"):
        needed = Perm.MEMBER_VIEW if method == "GET" else Perm.MEMBER_CONFIGURE
    else:
        needed = Perm.CATALOG_VIEW if method == "GET" else Perm.CATALOG_MANAGE
    for role in Role:
        if needed in ROLE_PERMS[role]:
            continue  # allowed: the other tests here use the routes
        response = as_staff(role).call(method, path, body, **{"Idempotency-Key": f"k-{role}"})
        assert response.status_code == 403, (role, method, route, response.content)
