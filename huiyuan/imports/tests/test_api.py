"""The imports API: upload in parts (base64 JSON), mapping, preview, run, progress,
the error workbook, the reconciliation; Idempotency-Key on every write."""

from __future__ import annotations

import base64
import io
import json

import pytest
from django.test import Client
from openpyxl import load_workbook

from huiyuan.cards import services as card_services
from huiyuan.core.permissions import Role
from huiyuan.imports.models import ImportJob
from huiyuan.imports.services import import_run
from huiyuan.imports.tests.conftest import csv_bytes
from huiyuan.members.models import Member

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "手机号", "性别"]


class Api:
    """A signed-in staff member speaking JSON to /api/v1."""

    def __init__(self, staff) -> None:
        self.client = Client()
        self.client.force_login(staff)

    def get(self, path: str, **headers: str):
        return self.client.get(f"/api/v1{path}", headers=headers)

    def post(self, path: str, body=None, **headers: str):
        return self.client.post(
            f"/api/v1{path}",
            data=json.dumps(body or {}),
            content_type="application/json",
            headers=headers,
        )


def staff_client(staff) -> Api:
    return Api(staff)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_member_import_through_the_api(staff, stores):
    api = staff_client(staff[Role.OWNER])
    data = csv_bytes(
        [HEADER, ["甲", "13900000001", "男"], ["乙", "bad", "女"], ["丙", "13900000003", ""]]
    )
    first, rest = data[:20], data[20:]

    made = api.post(
        "/imports/members",
        {
            "filename": "会员.csv",
            "content_base64": b64(first),
            "final": False,
            "store_id": stores[0].pk,
        },
        **{"Idempotency-Key": "up-1"},
    )
    assert made.status_code == 201, made.content
    job = made.json()
    assert (job["status"], job["header"]) == ("uploading", [])
    again = api.post(
        "/imports/members",
        {
            "filename": "会员.csv",
            "content_base64": b64(first),
            "final": False,
            "store_id": stores[0].pk,
        },
        **{"Idempotency-Key": "up-1"},
    )
    assert again.json()["id"] == job["id"] and ImportJob.objects.count() == 1
    part = api.post(
        f"/imports/{job['id']}/parts",
        {"content_base64": b64(rest), "final": True},
        **{"Idempotency-Key": "part-1"},
    )
    assert part.status_code == 200, part.content
    assert part.json()["mapping"] == {"name": 0, "mobile": 1, "gender": 2}
    assert part.json()["header"] == HEADER

    preview = api.get(f"/imports/{job['id']}/preview")
    assert preview.status_code == 200, preview.content
    assert (preview.json()["created"], preview.json()["errors"]) == (2, 1)
    assert Member.objects.count() == 0

    started = api.post(f"/imports/{job['id']}/run", {}, **{"Idempotency-Key": "run-1"})
    assert started.status_code == 202, started.content
    assert started.json()["status"] == "queued"
    import_run(job_id=job["id"])  # what the worker does with the queued task
    done = api.get(f"/imports/{job['id']}").json()
    assert (done["status"], done["rows_done"], done["rows_total"], done["percent"]) == (
        "done",
        3,
        3,
        100,
    )
    assert (done["rows_created"], done["rows_error"]) == (2, 1)
    assert Member.objects.count() == 2

    book = api.get(f"/imports/{job['id']}/errors.xlsx")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(book.streaming_content))).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[1][:4] == [3, "乙", "bad", "女"]
    assert api.get("/imports").json()["count"] == 1


def test_a_run_needs_an_idempotency_key(staff, stores):
    api = staff_client(staff[Role.OWNER])
    job = api.post(
        "/imports/members",
        {"filename": "a.csv", "content_base64": b64(csv_bytes([HEADER])), "store_id": stores[0].pk},
        **{"Idempotency-Key": "up-2"},
    ).json()
    refused = api.post(f"/imports/{job['id']}/run")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "idempotency_key_required"
    assert ImportJob.objects.get().status == "uploaded"


def test_opening_import_and_its_reconciliation(staff, stores, owner):
    card_type = card_services.card_type_create(
        actor=owner, code="gift", name="礼品卡", category="multi", anonymous=True
    )
    api = staff_client(staff[Role.OWNER])
    data = csv_bytes(
        [["卡号", "本金", "积分"], ["GIFT00001", "88.80", "100"], ["GIFT00002", "x", ""]]
    )
    job = api.post(
        "/imports/openings",
        {
            "filename": "期初.csv",
            "content_base64": b64(data),
            "store_id": stores[0].pk,
            "card_type_id": card_type.pk,
        },
        **{"Idempotency-Key": "open-1"},
    ).json()
    api.post(f"/imports/{job['id']}/run", {}, **{"Idempotency-Key": "run-2"})
    import_run(job_id=job["id"])

    report = api.get(f"/imports/{job['id']}/reconciliation").json()

    assert report["ok"] is True
    assert report["ledger"] == {
        "label": report["ledger"]["label"],
        "rows": 1,
        "principal_fen": 8880,
        "bonus_fen": 0,
        "points": 100,
    }
    assert report["refused"]["rows"] == 1
    assert report["difference"]["principal_fen"] == 0


def test_a_manager_cannot_migrate_balances(staff, stores):
    api = staff_client(staff[Role.STORE_MANAGER])
    refused = api.post(
        "/imports/openings",
        {
            "filename": "a.csv",
            "content_base64": b64(b"a,b\n"),
            "store_id": stores[0].pk,
            "card_type_id": 1,
        },
        **{"Idempotency-Key": "x"},
    )
    assert refused.status_code == 403
