"""Analytics endpoints: dashboard figures and report rows, read-only and store-scoped."""

from __future__ import annotations

import pytest

from huiyuan.analytics.tests.conftest import business  # noqa: F401 - the fixture
from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Role

from .conftest import error_of

pytestmark = pytest.mark.django_db

ANALYTICS_CALLS = [
    ("GET", "/analytics/dashboard", None),
    ("GET", "/analytics/reports", None),
    ("GET", "/analytics/reports/{code}", None),
]
ANALYTICS_ROUTES = {(method, path) for method, path, _body in ANALYTICS_CALLS}
ANALYTICS_PATHS: dict[str, set[str]] = {}
for _method, _path, _body in ANALYTICS_CALLS:
    ANALYTICS_PATHS.setdefault(f"/api/v1{_path}", set()).add(_method.lower())
ANALYTICS_KEYED = {(m.lower(), f"/api/v1{p}") for m, p, _b in ANALYTICS_CALLS if m != "GET"}


@pytest.mark.parametrize(("method", "path", "body"), ANALYTICS_CALLS)
@pytest.mark.parametrize("role", [Role.CASHIER, Role.CALL_CENTER])
def test_roles_without_reports_are_refused(as_staff, role, method, path, body):
    response = as_staff(role).call(method, path.format(code="summary"), body)
    assert response.status_code == 403, response.content


def test_dashboard_figures_and_store_scope(as_staff, business, stores):  # noqa: F811
    today = local_today().isoformat()
    owner, manager = as_staff(Role.OWNER), as_staff(Role.STORE_MANAGER)
    chain = owner.get(f"/analytics/dashboard?date_from={today}&date_to={today}").json()
    # S01: ¥180 sold, ¥30 reversed, ¥50 returned → ¥100; S02: ¥20.
    assert chain["current"]["net_sales"] == 12000
    assert chain["current"]["sales_count"] == 3
    assert chain["current"]["recharges"] == 50000
    assert chain["current"]["refunds"] == 1000
    assert chain["current"]["members_new"] == 2
    mine = manager.get(f"/analytics/dashboard?date_from={today}&date_to={today}").json()
    assert mine["current"]["net_sales"] == 10000
    assert mine["current"]["members_new"] == 1
    cash = next(m for m in mine["today_by_method"] if m["method"] == "cash")
    assert (cash["pay"], cash["recharge"], cash["refund"], cash["taken"]) == (0, 50000, 1000, 49000)
    r = manager.get(f"/analytics/dashboard?store_id={stores[1].pk}")
    assert r.status_code == 403 and error_of(r)["code"] == "store_forbidden"
    r = manager.get("/analytics/dashboard?store_id=1.0")
    assert r.status_code == 422
    r = owner.get("/analytics/dashboard?date_from=2026-11-30&date_to=2026-11-01")
    assert error_of(r)["code"] == "invalid_range"


def test_report_rows_are_scoped(as_staff, business, stores):  # noqa: F811
    owner, manager = as_staff(Role.OWNER), as_staff(Role.STORE_MANAGER)
    listed = owner.get("/analytics/reports").json()
    assert "consumption" in [r["code"] for r in listed]
    rows = owner.get("/analytics/reports/consumption").json()
    assert len(rows["rows"]) == 4 and rows["has_more"] is False
    mine = manager.get("/analytics/reports/consumption?limit=2").json()
    assert len(mine["rows"]) == 2 and mine["has_more"] is True
    summary = manager.get("/analytics/reports/summary").json()
    assert [row[2:4] for row in summary["rows"]] == [[2, 10000]]  # 3 sales − 1 reversed, ¥100
    r = manager.get(f"/analytics/reports/consumption?store_id={stores[1].pk}")
    assert error_of(r)["code"] == "store_forbidden"
    assert error_of(owner.get("/analytics/reports/nothing"))["code"] == "report_not_found"
