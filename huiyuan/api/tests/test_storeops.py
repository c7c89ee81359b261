"""Shifts, commission and chain settlement over the API: who may call what (by role and
store), the writes that take an Idempotency-Key. Behaviour is tested in the apps
(huiyuan/shifts, huiyuan/commission, huiyuan/settlement)."""

from __future__ import annotations

import pytest

from huiyuan.api.tests.conftest import error_of, staff_client
from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Role

STOREOPS_PATHS = {
    "/api/v1/shifts": {"get", "post"},
    "/api/v1/shifts/current": {"get"},
    "/api/v1/shifts/{shift_id}": {"get"},
    "/api/v1/shifts/{shift_id}/close": {"post"},
    "/api/v1/shifts/{shift_id}/handover": {"post"},
    "/api/v1/commission/rules": {"get", "post"},
    "/api/v1/commission/rules/{rule_id}/retire": {"post"},
    "/api/v1/commission/report": {"get"},
    "/api/v1/commission/report.xlsx": {"get"},
    "/api/v1/settlement": {"get"},
    "/api/v1/settlement/export.xlsx": {"get"},
}
STOREOPS_ROUTES = {
    (m.upper(), p.removeprefix("/api/v1")) for p, ms in STOREOPS_PATHS.items() for m in ms
}
STOREOPS_KEYED = {
    ("post", "/api/v1/shifts"),
    ("post", "/api/v1/shifts/{shift_id}/close"),
    ("post", "/api/v1/shifts/{shift_id}/handover"),
    ("post", "/api/v1/commission/rules"),
    ("post", "/api/v1/commission/rules/{rule_id}/retire"),
}

RULE = {"kind": "recharge", "method": "percent", "rate_bp": 100}


@pytest.mark.parametrize(
    ("role", "opens", "day_view", "sets_rules", "reports"),
    [
        (Role.OWNER, True, True, True, True),
        (Role.HQ_ADMIN, True, True, True, True),
        (Role.STORE_MANAGER, True, True, False, True),
        (Role.CASHIER, True, False, False, False),
        (Role.CALL_CENTER, False, False, False, False),
        (Role.MARKETER, False, True, False, True),
    ],
)
def test_who_may_call_what(staff, stores, role, opens, day_view, sets_rules, reports):
    client = staff_client(staff[role])
    today = local_today().isoformat()
    opened = client.post("/shifts", {"float_fen": 0}, **{"Idempotency-Key": f"o-{role}"})
    if opens and staff[role].default_store_id is not None:
        assert opened.status_code == 201, opened.content
        shift_id = opened.json()["id"]
        assert client.get(f"/shifts/{shift_id}").status_code == 200
        closed = client.post(
            f"/shifts/{shift_id}/close", {"counted": {"cash": 0}}, **{"Idempotency-Key": "c"}
        )
        assert closed.status_code == 200, closed.content
    elif opens:
        assert error_of(opened)["code"] == "store_required"
    else:
        assert opened.status_code == 403
    assert (client.get("/shifts").status_code == 200) is day_view
    made = client.post("/commission/rules", RULE, **{"Idempotency-Key": f"r-{role}"})
    assert (made.status_code == 201) is sets_rules, made.content
    month = today[:7]
    for path in (
        f"/commission/report?month={month}",
        f"/commission/report.xlsx?month={month}",
        f"/settlement?date_from={today}&date_to={today}",
        f"/settlement/export.xlsx?date_from={today}&date_to={today}",
        "/commission/rules",
    ):
        assert (client.get(path).status_code == 200) is reports, path


def test_writes_need_a_key(staff, stores):
    client = staff_client(staff[Role.OWNER])
    for path, body in (("/shifts", {"float_fen": 0}), ("/commission/rules", RULE)):
        response = client.post(path, body)
        assert error_of(response)["code"] == "idempotency_key_required"


def test_a_store_manager_reads_only_their_stores(staff, stores):
    manager = staff_client(staff[Role.STORE_MANAGER])
    today = local_today().isoformat()
    other = stores[1].pk
    for path in (
        f"/shifts?store_id={other}",
        f"/commission/report?month={today[:7]}&store_id={other}",
        f"/settlement?date_from={today}&date_to={today}&store_id={other}",
    ):
        assert error_of(manager.get(path))["code"] == "store_forbidden", path
