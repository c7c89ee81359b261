"""Applying an enterprise batch in short transactions: a counter never waits for the whole
batch, a crash or a refusal midway resumes exactly, every row is still checked first."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from django.db import connection

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import services as card_services
from huiyuan.core.errors import DomainError
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.wallet import batch as wallet_batch
from huiyuan.wallet.batch import BatchRowFailed, batch_recharge_apply, batch_recharge_validate
from huiyuan.wallet.models import Recharge
from huiyuan.wallet.services import wallet_recharge
from huiyuan.wallet.tests.batch_race import batch_file, race

ROOT = Path(__file__).resolve().parents[3]


def xlsx(rows: list[tuple]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(("卡号", "金额", "备注"))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def hq(owner, stores):
    return dataclasses.replace(owner, store_id=stores[0].pk)


@pytest.fixture
def cards(cashier, owner):
    return [card(cashier, owner) for _ in range(3)]


def ten_rows(cards_) -> bytes:
    """Ten rows over three cards: ¥1, ¥2, … ¥10 (card a gets rows 2, 5, 8, 11)."""
    return xlsx([(cards_[i % 3].number, str(i + 1), f"第{i + 1}笔") for i in range(10)])


def principals(cards_) -> list[int]:
    return [balances(c)["principal"] for c in cards_]


EXPECTED = [(1 + 4 + 7 + 10) * 100, (2 + 5 + 8) * 100, (3 + 6 + 9) * 100]


@pytest.mark.django_db(transaction=True)
def test_rows_commit_a_chunk_at_a_time_and_progress_is_reported(monkeypatch, hq, cards):
    monkeypatch.setattr(wallet_batch, "CHUNK_ROWS", 4)
    monkeypatch.setattr(wallet_batch, "CHUNK_SECONDS", 60)
    plan = batch_recharge_validate(actor=hq, file=ten_rows(cards))
    seen: list[tuple[int, int, int, bool]] = []

    def progress(done: int, total: int) -> None:
        # Reported after each chunk committed: outside any transaction, rows visible.
        seen.append((done, total, Recharge.objects.count(), connection.in_atomic_block))

    result = batch_recharge_apply(actor=hq, plan=plan, idempotency_key="k1", progress=progress)

    assert seen == [(4, 10, 4, False), (8, 10, 8, False), (10, 10, 10, False)]
    assert (len(result.recharges), result.total_fen, result.replayed) == (10, 5500, False)
    assert principals(cards) == EXPECTED
    assert AuditEvent.objects.filter(action="wallet.batch_recharged").count() == 1
    assert verify_ledger().problems == []


@pytest.mark.django_db(transaction=True)
def test_a_crash_midway_keeps_the_committed_chunks_and_resumes_exactly(monkeypatch, hq, cards):
    monkeypatch.setattr(wallet_batch, "CHUNK_ROWS", 4)
    monkeypatch.setattr(wallet_batch, "CHUNK_SECONDS", 60)
    plan = batch_recharge_validate(actor=hq, file=ten_rows(cards))
    real = wallet_batch.wallet_recharge
    calls = {"n": 0}

    def crashing(**kwargs):
        calls["n"] += 1
        if calls["n"] == 7:  # in the second chunk
            raise RuntimeError("power cut")
        return real(**kwargs)

    monkeypatch.setattr(wallet_batch, "wallet_recharge", crashing)
    with pytest.raises(RuntimeError):
        batch_recharge_apply(actor=hq, plan=plan, idempotency_key="k2")
    # The first chunk (rows 2-5: ¥1-¥4) is in; the second chunk rolled back whole.
    assert principals(cards) == [(1 + 4) * 100, 2 * 100, 3 * 100]
    first = list(Recharge.objects.order_by("pk").values_list("pk", flat=True))
    assert len(first) == 4
    assert not AuditEvent.objects.filter(action="wallet.batch_recharged").exists()

    monkeypatch.setattr(wallet_batch, "wallet_recharge", real)
    result = batch_recharge_apply(actor=hq, plan=plan, idempotency_key="k2")

    assert principals(cards) == EXPECTED
    assert [r.pk for r in result.recharges][:4] == first
    assert Recharge.objects.count() == 10 and not result.replayed
    assert AuditEvent.objects.filter(action="wallet.batch_recharged").count() == 1
    again = batch_recharge_apply(actor=hq, plan=plan, idempotency_key="k2")
    assert again.replayed and Recharge.objects.count() == 10
    assert verify_ledger().problems == []


@pytest.mark.django_db(transaction=True)
def test_a_refusal_midway_stops_there_and_a_new_confirmation_does_the_rest(
    monkeypatch, hq, cards, cashier
):
    monkeypatch.setattr(wallet_batch, "CHUNK_ROWS", 4)
    monkeypatch.setattr(wallet_batch, "CHUNK_SECONDS", 60)
    b = cards[1]
    plan = batch_recharge_validate(actor=hq, file=ten_rows(cards))

    def report_lost_after_first_chunk(done: int, total: int) -> None:
        if done == 4:
            card_services.card_report_lost(actor=cashier, card_id=b.pk, reason="批量中挂失")

    with pytest.raises(BatchRowFailed) as refused:
        batch_recharge_apply(
            actor=hq, plan=plan, idempotency_key="k3", progress=report_lost_after_first_chunk
        )
    # Row 6 is card b's first row of the second chunk; rows 2-5 stay recharged.
    assert refused.value.details["row"] == 6
    assert refused.value.details["code"] == "card_lost"
    assert (refused.value.details["applied"], refused.value.details["rows"]) == (4, 10)
    assert "4" in str(refused.value.message) and "10" in str(refused.value.message)
    assert principals(cards) == [500, 200, 300]

    card_services.card_unreport_lost(actor=cashier, card_id=b.pk, reason="找到了")
    result = batch_recharge_apply(actor=hq, plan=plan, idempotency_key="k3")
    assert principals(cards) == EXPECTED
    assert len(result.recharges) == 10 and Recharge.objects.count() == 10
    assert verify_ledger().problems == []


@pytest.mark.django_db
def test_every_row_is_checked_again_before_anything_is_applied(hq, cards, cashier):
    """Between the preview and the confirmation a counter recharged card a and card c was
    reported lost: both rows are named, and nothing at all is applied."""
    a, _b, c = cards
    plan = batch_recharge_validate(
        actor=hq, file=xlsx([(a.number, "100", ""), (c.number, "10", ""), (a.number, "1", "二")])
    )
    assert plan.ok
    wallet_recharge(
        actor=cashier, card_id=a.pk, amount_fen=499_950, method="cash", idempotency_key=key()
    )
    card_services.card_report_lost(actor=cashier, card_id=c.pk, reason="丢了")
    recharges = Recharge.objects.count()
    with pytest.raises(BatchRowFailed) as refused:
        batch_recharge_apply(actor=hq, plan=plan, idempotency_key="k4")
    details = refused.value.details
    assert (details["row"], details["code"], details["applied"]) == (2, "prepaid_limit_exceeded", 0)
    assert [(p["row"], p["code"]) for p in details["problems"]] == [
        (2, "prepaid_limit_exceeded"),
        (3, "card_lost"),
        (4, "prepaid_limit_exceeded"),
    ]
    assert Recharge.objects.count() == recharges
    assert principals(cards) == [499_950, 0, 0]


@pytest.mark.django_db
def test_the_same_key_for_another_file_is_refused_before_anything_is_applied(hq, cards):
    a, b, _c = cards
    first = batch_recharge_validate(actor=hq, file=xlsx([(a.number, "10"), (b.number, "20")]))
    batch_recharge_apply(actor=hq, plan=first, idempotency_key="k5")
    other = batch_recharge_validate(actor=hq, file=xlsx([(b.number, "30"), (a.number, "40")]))
    with pytest.raises(DomainError) as refused:
        batch_recharge_apply(actor=hq, plan=other, idempotency_key="k5")
    assert refused.value.code == "idempotency_key_reused"
    assert principals(cards[:2]) == [1000, 2000]


# ----------------------------------------------------------------- a counter meanwhile

RACE_ROWS = 300


def assert_the_counter_did_not_wait_for_the_batch(result: dict) -> None:
    assert result["batch"] == f"ok {RACE_ROWS}", result
    assert result["counter"] == "ok", result
    # The counter was done while the batch was still running, within a few chunks' time.
    assert result["counter_end"] < result["batch_end"], result
    assert result["counter_seconds"] < 3.0, result


@pytest.mark.django_db(transaction=True)
def test_a_counter_sells_while_a_batch_runs_on_an_sqlite_file(hq, cashier, owner, staff, tmp_path):
    """SQLite serialises writers: the batch must let go of the write lock between chunks.
    The in-memory test database does not lock like a file, so the scenario runs in a child
    process against a file copy of it."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock")
    from huiyuan.core.permissions import Role

    cards_ = [card(cashier, owner) for _ in range(20)]
    plan = batch_recharge_validate(actor=hq, file=batch_file([c.number for c in cards_], RACE_ROWS))
    assert plan.ok
    path = tmp_path / "race.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    args = tmp_path / "args.json"
    args.write_text(
        json.dumps(
            {
                "hq": staff[Role.OWNER].pk,
                "store_id": hq.store_id,
                "cashier": staff[Role.CASHIER].pk,
                "card": cards_[0].pk,
                "plan": plan.dump(),
            }
        )
    )
    child = subprocess.run(
        [sys.executable, "-m", "huiyuan.wallet.tests.batch_race", str(args)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{path}"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    assert_the_counter_did_not_wait_for_the_batch(json.loads(child.stdout.strip().splitlines()[-1]))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_counter_sells_while_a_batch_runs_on_postgresql(hq, cashier, owner):
    """The batch locks each card only for its chunk: a sale on a card the batch is also
    recharging waits for one chunk, not for the whole batch."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks on PostgreSQL")
    cards_ = [card(cashier, owner) for _ in range(20)]
    plan = batch_recharge_validate(actor=hq, file=batch_file([c.number for c in cards_], RACE_ROWS))
    result = race(hq=hq, cashier=cashier, plan_data=plan.dump(), card_id=cards_[0].pk)
    assert_the_counter_did_not_wait_for_the_batch(result)
    assert balances(cards_[0])["principal"] == RACE_ROWS // 20 * 100 + 10000 - 2500
    assert verify_ledger().problems == []
