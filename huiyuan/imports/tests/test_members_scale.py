"""A large member file with exactly 1% bad rows: exactly those rows are reported (in the
error workbook too), every other row is a member, and memory does not grow with the file.

The 100,000-row run is marked ``postgres`` (it runs in the PostgreSQL phase of
scripts/run-tests, ~1–2 minutes on the shared 2-core machine); the same property at
5,000 rows runs everywhere."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from huiyuan.imports.models import ImportRowError
from huiyuan.imports.selectors import import_errors_workbook
from huiyuan.members.models import Member

HEADER = ["姓名", "手机号", "性别", "生日"]


def write_file(path, rows: int) -> set[int]:
    """``rows`` data rows, one in a hundred bad (four kinds, spread over the batches; a
    duplicate mobile repeats a row from an earlier batch); the bad rows' numbers."""
    bad: set[int] = set()
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join(HEADER) + "\n")
        for i in range(rows):
            number = i + 2  # the spreadsheet row (the header is row 1)
            name, mobile, gender, born = f"会员{i % 977}", f"13{i:09d}", "女", "1990-01-01"
            if i % 100 == 57:
                bad.add(number)
                kind = (i // 100) % 4
                if kind == 0:
                    mobile = f"1{i:05d}"  # too short
                elif kind == 1:
                    name = ""
                elif kind == 2:
                    born = "1990-02-30"
                else:
                    # the mobile of a good, earlier row (of an earlier batch when it can)
                    mobile = f"13{i - 1050 if i > 1050 else i - 50:09d}"
            out.write(f"{name},{mobile},{gender},{born}\n")
    return bad


def check_exactly_the_bad_rows(owner, run_file, tmp_path, rows: int) -> None:
    path = tmp_path / "members.csv"
    bad = write_file(path, rows)
    assert len(bad) == rows // 100

    job = run_file(owner, path.read_bytes())

    assert (job.status, job.rows_total, job.rows_done) == ("done", rows, rows)
    assert (job.rows_created, job.rows_error, job.rows_present) == (rows - len(bad), len(bad), 0)
    assert set(ImportRowError.objects.filter(job=job).values_list("row", flat=True)) == bad
    assert Member.objects.count() == rows - len(bad)
    book = load_workbook(import_errors_workbook(job), read_only=True)
    listed = {line[0] for line in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert listed == bad


@pytest.mark.django_db
def test_five_thousand_rows_with_one_percent_bad(owner, stores, run_file, tmp_path):
    check_exactly_the_bad_rows(owner, run_file, tmp_path, 5_000)


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_hundred_thousand_rows_with_one_percent_bad(owner, stores, run_file, tmp_path):
    check_exactly_the_bad_rows(owner, run_file, tmp_path, 100_000)
