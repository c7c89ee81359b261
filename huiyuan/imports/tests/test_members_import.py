"""Member import: mapping, preview, the run, re-runs, refusals and the error workbook."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from huiyuan.core import pii
from huiyuan.core.errors import Conflict, PermissionDenied
from huiyuan.core.permissions import Role
from huiyuan.imports.models import ImportJob, ImportMapping, ImportRowError
from huiyuan.imports.selectors import import_errors_workbook
from huiyuan.imports.services import (
    import_mapping_set,
    import_preview,
    import_run,
    import_start,
    import_upload,
)
from huiyuan.imports.tests.conftest import csv_bytes, key, xlsx_bytes
from huiyuan.members.models import Member

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "手机号", "性别", "生日", "邮箱"]


def rows_ok(n: int, start: int = 0) -> list[list[str]]:
    return [[f"会员{i}", f"139{i + start:08d}", "女", "1990-05-01", ""] for i in range(n)]


def test_csv_import_creates_the_members_with_their_fields(owner, stores, run_file):
    data = csv_bytes([HEADER, ["张三", "138 0013 8000", "男", "1988/2/3", "zs@example.com"]])

    job = run_file(owner, data, store_id=stores[1].pk)

    assert (job.status, job.rows_total, job.rows_done, job.rows_created) == ("done", 1, 1, 1)
    member = Member.objects.get()
    assert (member.name, member.mobile, member.gender) == ("张三", "13800138000", "M")
    assert member.birthday.isoformat() == "1988-02-03"
    assert (member.email, member.channel, member.home_store_id) == (
        "zs@example.com",
        "import",
        stores[1].pk,
    )
    assert member.name_initials == "zs"
    assert member.mobile_hash == pii.keyed_hash("13800138000")


def test_gbk_csv_and_xlsx_are_read(owner, stores, run_file):
    gbk = csv_bytes([HEADER, ["李四", "13900000001", "女", "", ""]], encoding="gbk")
    xlsx = xlsx_bytes([["Name", "Mobile"], ["王五", 13900000002]])

    assert run_file(owner, gbk).rows_created == 1
    assert run_file(owner, xlsx).rows_created == 1
    assert sorted(Member.objects.values_list("name", flat=True)) == ["李四", "王五"]


def test_the_same_file_twice_adds_nobody(owner, stores, run_file):
    data = csv_bytes([HEADER, *rows_ok(30)])

    first = run_file(owner, data)
    second = run_file(owner, data)

    assert (first.rows_created, first.rows_present) == (30, 0)
    assert (second.rows_created, second.rows_present, second.rows_error) == (0, 30, 0)
    assert Member.objects.count() == 30


def test_update_existing_changes_the_mapped_fields(owner, stores, run_file):
    run_file(owner, csv_bytes([HEADER, ["赵六", "13900000003", "女", "", ""]]))
    changed = csv_bytes([HEADER, ["赵六六", "13900000003", "女", "1991-01-02", ""]])

    job = run_file(owner, changed, update_existing=True)

    assert (job.rows_created, job.rows_updated, job.rows_present) == (0, 1, 0)
    member = Member.objects.get()
    assert (member.name, member.birthday.isoformat()) == ("赵六六", "1991-01-02")


def test_bad_rows_are_reported_exactly_and_change_nothing(owner, stores, run_file):
    rows = rows_ok(10)
    rows[2][1] = "12345"  # not a mobile
    rows[5][0] = ""  # no name
    rows[7][3] = "1990-13-45"  # no such date
    rows[8][1] = rows[0][1]  # the same mobile as row 2
    data = csv_bytes([HEADER, *rows])

    job = run_file(owner, data)

    assert (job.rows_created, job.rows_error) == (6, 4)
    errors = dict(ImportRowError.objects.filter(job=job).values_list("row", "message"))
    assert sorted(errors) == [4, 7, 9, 10]
    assert "手机" in errors[4] or "Mobile" in errors[4]
    assert Member.objects.count() == 6
    assert not Member.objects.filter(name="会员5").exists()
    book = load_workbook(io.BytesIO(import_errors_workbook(job).read()), read_only=True)
    lines = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert lines[0][1:6] == HEADER
    assert [line[0] for line in lines[1:]] == [4, 7, 9, 10]
    assert lines[1][1:3] == rows[2][0:2]
    assert lines[1][-1] == errors[4]


def test_preview_runs_the_first_rows_and_writes_nothing(owner, stores):
    rows = rows_ok(5)
    rows[1][1] = "bad"
    job = import_upload(
        actor=owner,
        kind="members",
        filename="a.csv",
        options={"store_id": stores[0].pk},
        chunks=[csv_bytes([HEADER, *rows])],
    )

    preview = import_preview(actor=owner, job_id=job.pk)

    assert (preview.created, preview.errors, len(preview.rows)) == (4, 1, 5)
    assert preview.rows[1].error and not preview.rows[0].error
    assert Member.objects.count() == 0
    assert ImportJob.objects.get(pk=job.pk).rows_done == 0


def test_mapping_is_guessed_edited_and_remembered(owner, stores):
    data = csv_bytes([["客户", "联系方式", "性别"], ["甲", "13900000009", "男"]])
    job = import_upload(
        actor=owner,
        kind="members",
        filename="a.csv",
        options={"store_id": stores[0].pk},
        chunks=[data],
    )
    assert job.mapping == {"gender": 2}

    import_mapping_set(actor=owner, job_id=job.pk, mapping={"name": 0, "mobile": 1, "gender": 2})
    import_start(actor=owner, job_id=job.pk, idempotency_key=key())
    assert import_run(job_id=job.pk).rows_created == 1

    assert ImportMapping.objects.get(staff=owner.staff).columns == {
        "name": "客户",
        "mobile": "联系方式",
        "gender": "性别",
    }
    again = import_upload(
        actor=owner,
        kind="members",
        filename="b.csv",
        options={"store_id": stores[0].pk},
        chunks=[data],
    )
    assert again.mapping == {"name": 0, "mobile": 1, "gender": 2}


def test_start_is_idempotent_and_refused_twice_with_another_key(owner, stores):
    job = import_upload(
        actor=owner,
        kind="members",
        filename="a.csv",
        options={"store_id": stores[0].pk},
        chunks=[csv_bytes([HEADER, *rows_ok(1)])],
    )
    first_key = key()
    import_start(actor=owner, job_id=job.pk, idempotency_key=first_key)
    assert import_start(actor=owner, job_id=job.pk, idempotency_key=first_key).status == "queued"
    with pytest.raises(Conflict) as refused:
        import_start(actor=owner, job_id=job.pk, idempotency_key=key())
    assert refused.value.code == "import_started"


def test_a_cashier_may_not_import_members(actors, stores):
    with pytest.raises(PermissionDenied):
        import_upload(
            actor=actors[Role.CASHIER],
            kind="members",
            filename="a.csv",
            chunks=[csv_bytes([HEADER, *rows_ok(1)])],
        )
    assert ImportJob.objects.count() == 0


def test_a_run_resumes_after_its_last_committed_batch(owner, stores, monkeypatch):
    from huiyuan.imports import services

    monkeypatch.setattr(services, "BATCH_ROWS", 10)
    job = import_upload(
        actor=owner,
        kind="members",
        filename="a.csv",
        options={"store_id": stores[0].pk},
        chunks=[csv_bytes([HEADER, *rows_ok(35)])],
    )
    import_start(actor=owner, job_id=job.pk, idempotency_key=key())
    real = services._apply
    calls = {"n": 0}

    def flaky(actor, job, lines):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker lost")
        return real(actor, job, lines)

    monkeypatch.setattr(services, "_apply", flaky)
    failed = import_run(job_id=job.pk)
    assert (failed.status, failed.rows_done, Member.objects.count()) == ("failed", 20, 20)

    import_start(actor=owner, job_id=job.pk, idempotency_key=key())
    done = import_run(job_id=job.pk)
    assert (done.status, done.rows_done, done.rows_created, done.rows_present) == (
        "done",
        35,
        35,
        0,
    )
    assert Member.objects.count() == 35
