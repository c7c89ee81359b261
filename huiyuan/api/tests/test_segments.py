"""Segment endpoints: CRUD, live counts, members in store scope, RFM, predictions."""

from __future__ import annotations

import datetime as dt
import io

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
# The sales-history upload (multipart) and its job: refusals in the upload tests below.
SEGMENT_ROUTES |= {
    ("POST", "/segments/history-imports"),
    ("GET", "/segments/history-imports/{job_id}"),
    ("GET", "/segments/history-imports/{job_id}/errors.xlsx"),
}
SEGMENT_PATHS: dict[str, set[str]] = {}
for _method, _path, _body in SEGMENT_CALLS:
    SEGMENT_PATHS.setdefault(f"/api/v1{_path}", set()).add(_method.lower())
# Segments are not money: no Idempotency-Key — but the upload of sales history takes one.
HISTORY_PATHS = {
    "/api/v1/segments/history-imports": {"post"},
    "/api/v1/segments/history-imports/{job_id}": {"get"},
    "/api/v1/segments/history-imports/{job_id}/errors.xlsx": {"get"},
}
SEGMENT_PATHS.update(HISTORY_PATHS)
SEGMENT_KEYED: set[tuple[str, str]] = {("post", "/api/v1/segments/history-imports")}


@pytest.mark.parametrize(("method", "path", "body"), SEGMENT_CALLS)
@pytest.mark.parametrize("role", [Role.CASHIER, Role.CALL_CENTER])
def test_roles_without_segment_permissions_are_refused(as_staff, role, method, path, body):
    response = as_staff(role).call(method, path.format(segment_id=1), body)
    assert response.status_code == 403, (method, path, response.content)


def _upload(api, content: bytes, key: str, name: str = "sales.csv", **form):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api.client.post(
        "/api/v1/segments/history-imports",
        data={"file": SimpleUploadedFile(name, content, content_type="text/csv"), **form},
        headers={"Idempotency-Key": key} if key else {},
    )


def test_sales_history_upload_runs_in_the_background(
    as_staff, make_member, stores, settings, tmp_path
):
    """A CSV of three purchases, one of an unknown member: the upload answers at once with
    the job queued; the worker imports two rows and refuses one, which the status and the
    error workbook show. The same key and file return the same job."""
    from openpyxl import load_workbook

    from huiyuan.imports.models import ImportJob
    from huiyuan.imports.services import import_run
    from huiyuan.segments.models import HistorySale

    settings.IMPORTS_DIR = tmp_path / "imports"
    a = make_member("甲", mobile="13800000001")
    body = (
        "会员,日期,金额,商品\n"
        f"{a.code},2025-01-05,35.50,拿铁:咖啡\n"
        "M999999,2025-01-06,10,\n"
        f"{a.mobile},2025-02-01,20,\n"
    ).encode()
    hq = as_staff(Role.HQ_ADMIN)
    r = _upload(hq, body, "hist-1", store_id=str(stores[0].pk))
    assert r.status_code == 201, r.content
    job = r.json()
    assert (job["status"], job["mapping_problems"], job["rows_done"]) == ("queued", [], 0)
    assert job["header"] == ["会员", "日期", "金额", "商品"]
    assert set(job["mapping"]) >= {"member", "date", "amount"}
    assert not HistorySale.objects.exists()  # nothing yet: the worker runs it
    import_run(job_id=job["id"])  # what the worker does
    done = hq.get(f"/segments/history-imports/{job['id']}").json()
    assert (done["status"], done["rows_total"], done["rows_created"], done["rows_error"]) == (
        "done",
        3,
        2,
        1,
    )
    assert [(e["row"], e["cells"]) for e in done["errors"]] == [
        (3, ["M999999", "2025-01-06", "10", ""])
    ]
    assert "会员" in done["errors"][0]["message"]
    assert sorted(HistorySale.objects.values_list("amount_fen", flat=True)) == [2000, 3550]
    xlsx = hq.get(f"/segments/history-imports/{job['id']}/errors.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert [c.value for c in sheet[2]][:3] == [3, "M999999", "2025-01-06"]
    # The same key and file: the same job, nothing imported again.
    again = _upload(hq, body, "hist-1", store_id=str(stores[0].pk))
    assert again.status_code == 201 and again.json()["id"] == job["id"]
    assert ImportJob.objects.count() == 1 and HistorySale.objects.count() == 2
    # The same key for another file is refused, nothing stored.
    other = _upload(hq, body + b"x,2025-01-01,1,\n", "hist-1", store_id=str(stores[0].pk))
    assert other.status_code == 409 and error_of(other)["code"] == "idempotency_key_reused"
    assert ImportJob.objects.count() == 1


def test_sales_history_upload_refusals_change_nothing(as_staff, stores, settings, tmp_path):
    from huiyuan.imports.models import ImportJob

    settings.IMPORTS_DIR = tmp_path / "imports"
    body = "会员,日期,金额\nM1,2025-01-01,1\n".encode()
    r = _upload(as_staff(Role.STORE_MANAGER), body, "k1", store_id=str(stores[0].pk))
    assert r.status_code == 403
    r = _upload(as_staff(Role.CASHIER), body, "k2")
    assert r.status_code == 403
    r = _upload(as_staff(Role.HQ_ADMIN), body, "")
    assert r.status_code == 422 and error_of(r)["code"] in ("idempotency_key_required", "invalid")
    assert not ImportJob.objects.exists()
    # Columns it cannot recognise: kept as uploaded, not run, and told why.
    hq = as_staff(Role.HQ_ADMIN)
    r = _upload(hq, "甲,乙\n1,2\n".encode(), "k3", store_id=str(stores[0].pk))
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "uploaded" and r.json()["mapping_problems"]
    assert ImportJob.objects.get().status == "uploaded"
    # Another kind of import is not found here.
    assert hq.get("/segments/history-imports/999999").status_code == 404
