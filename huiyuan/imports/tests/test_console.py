"""The import pages: upload, mapping and preview, run, progress (htmx partial), results,
the error workbook, the history; a cashier is refused."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from huiyuan.core.permissions import Role
from huiyuan.imports.models import ImportJob
from huiyuan.imports.services import import_run
from huiyuan.imports.tests.conftest import csv_bytes
from huiyuan.members.models import Member

pytestmark = pytest.mark.django_db


def login(staff, role: Role) -> Client:
    client = Client()
    client.force_login(staff[role])
    return client


def test_upload_map_preview_run_and_results(staff, stores):
    client = login(staff, Role.OWNER)
    data = csv_bytes(
        [["客户名", "手机", "性别"], ["甲", "13900000001", "男"], ["乙", "坏号码", "女"]]
    )

    page = client.get("/imports/")
    assert page.status_code == 200 and "导入" in page.content.decode()
    uploaded = client.post(
        "/imports/",
        {"kind": "members", "file": SimpleUploadedFile("会员.csv", data), "store": stores[0].pk},
    )
    assert uploaded.status_code == 302, uploaded.content.decode()[:2000]
    job = ImportJob.objects.get()
    assert job.mapping == {"mobile": 1, "gender": 2}

    mapping = client.get(f"/imports/{job.pk}/")
    assert "姓名" in mapping.content.decode()  # the unmapped required field is named
    saved = client.post(f"/imports/{job.pk}/", {"name": "0", "mobile": "1", "gender": "2"})
    assert saved.status_code == 302
    preview = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="import-preview"' in preview and "坏号码" in preview
    assert Member.objects.count() == 0

    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', preview)[1]
    client.post(f"/imports/{job.pk}/run/", {"idempotency_key": key})
    running = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in running
    import_run(job_id=job.pk)  # the worker

    partial = client.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "every 1s" not in partial and 'data-testid="import-created">1<' in partial
    book = client.get(f"/imports/{job.pk}/errors.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(book.streaming_content))).worksheets[0]
    assert [list(r) for r in sheet.iter_rows(values_only=True)][1][:3] == [3, "乙", "坏号码"]
    history = client.get("/imports/history/").content.decode()
    assert "会员.csv" in history


def test_a_cashier_sees_no_import_pages(staff, stores):
    client = login(staff, Role.CASHIER)
    assert client.get("/imports/").status_code == 403
    assert "/imports/" not in client.get("/").content.decode()
