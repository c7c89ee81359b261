"""Printing a batch: the workbook holds the codes of cards awaiting activation, audited."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import codes
from huiyuan.cards.activation import card_activate
from huiyuan.cards.batch_export import batch_workbook, card_batch_export
from huiyuan.cards.models import BatchCard, CardBatch
from huiyuan.cards.tests.conftest import key
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role

pytestmark = pytest.mark.django_db


def test_workbook_lists_number_and_code_of_each_card_awaiting_activation(
    make_batch, owner, cashier
):
    batch = make_batch(count=3, face=5_000, sold=True)
    export = card_batch_export(actor=owner, batch_id=batch.pk, fmt="xlsx")
    first = export.rows[0]
    card_activate(actor=cashier, card_number=first.number, code=first.code, idempotency_key=key())
    export = card_batch_export(actor=owner, batch_id=batch.pk, fmt="xlsx")
    assert [r.serial for r in export.rows] == [2, 3] and export.pending == 2
    sheet = load_workbook(io.BytesIO(batch_workbook(export))).worksheets[0]
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0] == ("序号", "卡号", "卡密", "面值", "激活截止日")
    assert len(rows) == 3
    for (serial, number, code, face, deadline), row in zip(rows[1:], export.rows, strict=True):
        assert (serial, number, code, face) == (row.serial, row.number, row.code, "¥50.00")
        assert deadline == "不限"
        assert len(code) == 19 and code.count("-") == 3
        entry = BatchCard.objects.select_related("card").get(card__number=number)
        assert codes.code_matches(entry.code_hash, number, code.replace("-", ""))


def test_every_export_is_audited_without_the_codes(make_batch, owner):
    batch = make_batch(count=3)
    export = card_batch_export(actor=owner, batch_id=batch.pk, fmt="sheet", offset=1, limit=1)
    assert [r.serial for r in export.rows] == [2]
    card_batch_export(actor=owner, batch_id=batch.pk, fmt="xlsx")
    audits = list(AuditEvent.objects.filter(action="card_batch.exported").order_by("pk"))
    assert [a.after for a in audits] == [
        {"format": "sheet", "cards": 1, "first_serial": 2, "last_serial": 2},
        {"format": "xlsx", "cards": 3, "first_serial": 1, "last_serial": 3},
    ]
    every_code = {codes.code_unseal(e.code_encrypted) for e in BatchCard.objects.all()}
    for audit in AuditEvent.objects.all():
        text = f"{audit.before} {audit.after} {audit.note}"
        assert not any(code in text for code in every_code)
    batch.refresh_from_db()
    assert batch.export_count == 2 and batch.last_exported_at is not None


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER])
def test_only_owner_and_head_office_print_codes(make_batch, actors, role):
    batch = make_batch(count=1)
    with pytest.raises(DomainError) as caught:
        card_batch_export(actor=actors[role], batch_id=batch.pk, fmt="xlsx")
    assert caught.value.code == "permission_denied"
    assert not AuditEvent.objects.filter(action="card_batch.exported").exists()
    assert CardBatch.objects.get().export_count == 0
    assert card_batch_export(actor=actors[Role.HQ_ADMIN], batch_id=batch.pk, fmt="xlsx").rows


def test_nothing_to_print_once_every_card_is_voided(make_batch, owner):
    from huiyuan.cards.batch_void import card_batch_void

    batch = make_batch(count=1)
    card_batch_void(
        actor=owner, batch_id=batch.pk, reason="作废", method="cash", idempotency_key=key()
    )
    with pytest.raises(DomainError) as caught:
        card_batch_export(actor=owner, batch_id=batch.pk, fmt="xlsx")
    assert caught.value.code == "nothing_to_export"
