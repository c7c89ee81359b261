"""Import of past sales through the import machinery: row errors, idempotent re-run, feeds
the profiles."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from huiyuan.core.errors import PermissionDenied
from huiyuan.core.permissions import Role
from huiyuan.imports.models import ImportJob, ImportRowError
from huiyuan.imports.selectors import import_errors_workbook
from huiyuan.imports.services import import_run, import_start, import_upload
from huiyuan.segments.history import items_parse
from huiyuan.segments.models import HistorySale, MemberProfile

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path / "imports"


def csv_bytes(rows) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode()


def run(actor, data: bytes, store) -> ImportJob:
    job = import_upload(
        actor=actor,
        kind="sales",
        filename="sales.csv",
        chunks=[data],
        options={"store_id": store.pk},
    )
    import_start(actor=actor, job_id=job.pk, idempotency_key=uuid.uuid4().hex)
    return import_run(job_id=job.pk)


def test_items_parse():
    assert items_parse("拿铁:咖啡；可颂、 |茶", "烘焙") == [
        {"name": "拿铁", "category": "咖啡"},
        {"name": "可颂", "category": "烘焙"},
        {"name": "茶", "category": "烘焙"},
    ]


def test_import_with_row_errors_and_rerun(make_member, owner, stores):
    a = make_member("甲")
    b = make_member("乙")
    rows = [
        ["会员", "日期", "金额", "商品"],
        [a.code, "2025-01-05", "35.50", "拿铁:咖啡;可颂:烘焙"],
        [a.mobile, "2025/2/1", "20", ""],
        [a.code, "2025-01-05", "35.50", "拿铁:咖啡;可颂:烘焙"],  # the same purchase twice
        [b.code, "2025-03-01", "12.345", ""],  # sub-fen
        ["M999999", "2025-03-01", "10", ""],  # nobody
        [b.code, "2099-01-01", "-3", ""],  # future, negative
        ["", "", "", ""],  # blank: skipped
        [b.code, "2025-03-02", "8", "奶茶"],
    ]
    job = run(owner, csv_bytes(rows), stores[0])
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.rows_done, job.rows_created, job.rows_present, job.rows_error) == (7, 4, 0, 3)
    errors = dict(ImportRowError.objects.filter(job=job).values_list("row", "message"))
    assert set(errors) == {5, 6, 7}
    assert "金额" in errors[5] and "日期" in errors[7] and "金额" in errors[7]
    assert "会员" in errors[6]
    assert import_errors_workbook(job).read(2) == b"PK"  # the error workbook is there
    assert sorted(HistorySale.objects.values_list("amount_fen", flat=True)) == [
        800,
        2000,
        3550,
        3550,
    ]
    # The history fed the profiles.
    profile = MemberProfile.objects.get(member=a)
    assert (profile.purchases, profile.spend_fen) == (3, 9100)
    # ... and the items bought together (拿铁 with 可颂, twice) the cross-sell pairs.
    from huiyuan.segments.models import CrossSellPair

    assert CrossSellPair.objects.filter(
        level=CrossSellPair.Level.ITEM, antecedent="拿铁", consequent="可颂"
    ).exists()
    # The same file again adds nothing; both repetitions are recognised.
    again = run(owner, csv_bytes(rows), stores[0])
    assert (again.rows_created, again.rows_present, again.rows_error) == (0, 4, 3)
    assert HistorySale.objects.count() == 4


def test_who_may_import_sales(actors, stores):
    with pytest.raises(PermissionDenied):
        import_upload(
            actor=actors[Role.STORE_MANAGER],
            kind="sales",
            filename="a.csv",
            chunks=[b"a,b\n"],
            options={"store_id": stores[0].pk},
        )
    assert not ImportJob.objects.exists()
