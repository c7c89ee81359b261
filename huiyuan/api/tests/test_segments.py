"""Segment endpoints: CRUD, live counts, members in store scope, RFM, predictions."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.checkout.models import Sale
from huiyuan.core import clock
from huiyuan.core.permissions import Role
from huiyuan.segments.models import Segment

from .conftest import error_of

pytestmark = pytest.mark.django_db


def _sale(member, fen, day):
    n = Sale.objects.count() + 1
    return Sale.objects.create(
        number=f"A{n:06d}",
        member=member,
        store_id=member.home_store_id,
        amount_fen=fen,
        payable_fen=fen,
        paid_external_fen=fen,
        created_at=clock.local_day_start(day),
    )


def test_segment_crud_count_and_members(as_staff, make_member, stores):
    here = make_member("甲", mobile="13800000001", gender="F")
    make_member("乙", mobile="13800000002", gender="F", store=stores[1])
    make_member("丙", mobile="13800000003", gender="M")
    marketer, manager = as_staff(Role.MARKETER), as_staff(Role.STORE_MANAGER)
    r = marketer.post("/segments/count", {"definition": {"genders": ["F"]}})
    assert r.status_code == 200 and r.json() == {"members": 2}
    assert manager.post("/segments/count", {"definition": {"genders": ["F"]}}).json() == {
        "members": 1
    }
    r = marketer.post("/segments", {"name": "女性会员", "definition": {"genders": ["F"]}})
    assert r.status_code == 201, r.json()
    seg = r.json()
    assert seg["definition"] == {"genders": ["F"]} and seg["store_id"] is None
    assert marketer.get(f"/segments/{seg['id']}/count").json() == {"members": 2}
    members = manager.get(f"/segments/{seg['id']}/members").json()
    assert members["total"] == 1 and [m["id"] for m in members["items"]] == [here.pk]
    again = marketer.post("/segments", {"name": "女性会员", "definition": {}})
    assert again.status_code == 409 and error_of(again)["code"] == "segment_name_taken"
    r = marketer.patch(f"/segments/{seg['id']}", {"definition": {"genders": ["M"]}})
    assert r.status_code == 200 and r.json()["definition"] == {"genders": ["M"]}
    assert [s["name"] for s in marketer.get("/segments").json()] == ["女性会员"]
    r = marketer.call("DELETE", f"/segments/{seg['id']}")
    assert r.status_code == 200 and r.json() == {"id": seg["id"], "deleted": True}
    assert not Segment.objects.exists()


def test_a_bad_filter_is_refused_and_nothing_saved(as_staff):
    r = as_staff(Role.MARKETER).post("/segments", {"name": "坏", "definition": {"age_min": "x"}})
    assert r.status_code == 422
    assert error_of(r)["code"] == "invalid_segment_filter" and error_of(r)["field"] == "age_min"
    assert not Segment.objects.exists()


def test_rfm_predictions_and_settings(as_staff, make_member):
    today = clock.local_today()
    for i in range(25):
        member = make_member(f"会员{i}", mobile=f"139000000{i:02d}")
        for k in range(i % 5 + 1):
            _sale(member, 1000 * (i + 1), today - dt.timedelta(days=7 * k * (i % 3 + 1) + i))
    hq = as_staff(Role.HQ_ADMIN)
    r = hq.post("/segments/refresh", {})
    assert r.status_code == 200 and r.json() == {"members": 25, "fitted": True}
    summary = hq.get("/segments/rfm").json()
    assert summary["members"] == 25 and len(summary["rows"]) == 8
    pred = hq.get("/segments/predictions?limit=5").json()
    assert pred["model"]["members"] == 25 and len(pred["items"]) == 5
    risks = [p["churn_risk_permille"] for p in pred["items"]]
    assert risks == sorted(risks, reverse=True)
    assert all(0 <= p["p_alive_permille"] <= 1000 for p in pred["items"])
    r = hq.put("/segments/rfm/settings", {"recent_days": 30})
    assert r.status_code == 200 and r.json()["recent_days"] == 30
    r = as_staff(Role.STORE_MANAGER).put("/segments/rfm/settings", {"recent_days": 10})
    assert r.status_code == 403 and error_of(r)["code"] == "chain_wide_only"
    r = hq.put("/segments/rfm/settings", {"recent_days": 400})
    assert r.status_code == 422 and error_of(r)["field"] == "recent_days"
    assert hq.get("/segments/rfm/settings").json()["recent_days"] == 30
    assert hq.get("/segments/cross-sell").status_code == 200


SEGMENT_CALLS = [
    ("GET", "/segments", None),
    ("POST", "/segments", {"name": "X", "definition": {}}),
    ("POST", "/segments/count", {"definition": {}}),
    ("GET", "/segments/{segment_id}", None),
    ("PATCH", "/segments/{segment_id}", {"name": "Y"}),
    ("DELETE", "/segments/{segment_id}", None),
    ("GET", "/segments/{segment_id}/count", None),
    ("GET", "/segments/{segment_id}/members", None),
    ("GET", "/segments/rfm", None),
    ("GET", "/segments/rfm/settings", None),
    ("PUT", "/segments/rfm/settings", {"recent_days": 30}),
    ("POST", "/segments/refresh", {}),
    ("GET", "/segments/predictions", None),
    ("GET", "/segments/cross-sell", None),
]
SEGMENT_ROUTES = {(method, path) for method, path, _body in SEGMENT_CALLS}
SEGMENT_PATHS: dict[str, set[str]] = {}
for _method, _path, _body in SEGMENT_CALLS:
    SEGMENT_PATHS.setdefault(f"/api/v1{_path}", set()).add(_method.lower())
SEGMENT_KEYED: set[tuple[str, str]] = set()  # segments are not money: no Idempotency-Key


@pytest.mark.parametrize(("method", "path", "body"), SEGMENT_CALLS)
@pytest.mark.parametrize("role", [Role.CASHIER, Role.CALL_CENTER])
def test_roles_without_segment_permissions_are_refused(as_staff, role, method, path, body):
    response = as_staff(role).call(method, path.format(segment_id=1), body)
    assert response.status_code == 403, (method, path, response.content)
