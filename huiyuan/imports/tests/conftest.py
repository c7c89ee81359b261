"""Fixtures of the import tests: files written on the fly, jobs run through the services."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from huiyuan.core.permissions import Actor
from huiyuan.imports.models import ImportJob
from huiyuan.imports.services import import_run, import_start, import_upload


def key() -> str:
    return uuid.uuid4().hex


def csv_bytes(rows: Iterable[Iterable[object]], encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    for row in rows:
        writer.writerow(row)
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows: Iterable[Iterable[object]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path / "imports"


@pytest.fixture
def run_file(stores) -> Callable[..., ImportJob]:
    """Upload ``data`` as ``kind``, start it and run it to the end; the finished job."""

    def run(actor: Actor, data: bytes, *, kind: str = "members", **options: Any) -> ImportJob:
        options.setdefault("store_id", stores[0].pk)
        job = import_upload(actor=actor, kind=kind, filename="file", chunks=[data], options=options)
        import_start(actor=actor, job_id=job.pk, idempotency_key=key())
        return import_run(job_id=job.pk)

    return run
