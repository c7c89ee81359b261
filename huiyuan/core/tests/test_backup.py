"""Backups: a database with real money in it is dumped, restored into a fresh database,
and the restore proves itself (verify-ledger clean, checksum and counts as in the manifest,
every card's balances as in the source)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.backup import (
    backup_create,
    backups_prune,
    manifest_path,
    retention_keep,
)
from huiyuan.ledger.models import Account
from huiyuan.ledger.tests.factories import card, default_rule, key
from huiyuan.wallet.services import wallet_recharge

UTC = dt.UTC


def money_rows(cashier, owner) -> list[int]:
    """Three cards with recharges and sales (principal, bonus-free, points earned)."""
    default_rule(owner)
    cards = [card(cashier, owner) for _ in range(3)]
    for i, c in enumerate(cards):
        wallet_recharge(
            actor=cashier,
            card_id=c.pk,
            amount_fen=10_000 * (i + 1),
            method="cash",
            idempotency_key=key(),
        )
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=2_550, card_id=c.pk, balance_fen=2_550),
            idempotency_key=key(),
        )
    sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=1_000, card_id=cards[0].pk, external_method="wechat"),
        idempotency_key=key(),
    )
    return [c.pk for c in cards]


def card_balances(rows: list[tuple[int, str, int]]) -> dict[tuple[int, str], int]:
    return {(card_id, kind): balance for card_id, kind, balance in rows}


SQL_BALANCES = (
    "SELECT card_id, kind, balance FROM ledger_account WHERE card_id IS NOT NULL ORDER BY 1, 2"
)


def source_balances() -> dict[tuple[int, str], int]:
    return card_balances(
        list(
            Account.objects.filter(card_id__isnull=False).values_list("card_id", "kind", "balance")
        )
    )


@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_restores_into_a_new_file_with_the_same_money(cashier, owner, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite online backup (the PostgreSQL test is below)")
    card_ids = money_rows(cashier, owner)
    before = source_balances()
    # ¥100 − ¥25.50 on the first card, ¥200 − ¥25.50, ¥300 − ¥25.50; points earned.
    assert [before[(c, "principal")] for c in card_ids] == [7_450, 17_450, 27_450]
    assert before[(card_ids[0], "points")] == 35  # 25 + 10 (the external payment)

    result = backup_create(tmp_path / "dumps", directory=True)

    manifest = json.loads(manifest_path(result.dump).read_text())
    assert manifest["vendor"] == "sqlite" and manifest["dump"] == result.dump.name
    assert manifest["ledger_checksum"] == {
        "bonus": {"accounts": 3, "balance": 0},
        "points": {"accounts": 3, "balance": 35 + 25 + 25},
        "principal": {"accounts": 3, "balance": 7_450 + 17_450 + 27_450},
    }
    assert manifest["counts"]["cards_card"] == 3
    assert manifest["counts"]["checkout_sale"] == 4
    assert "0001_initial" in manifest["migrations"]["ledger"]

    target = tmp_path / "restored.sqlite3"
    out = StringIO()
    call_command("restore", str(result.dump), database_url=f"sqlite:///{target}", stdout=out)
    assert "ledger OK, manifest checksum and counts match" in out.getvalue()
    assert "verify-ledger: 9 accounts checked" in out.getvalue()

    with sqlite3.connect(target) as restored:
        assert card_balances(restored.execute(SQL_BALANCES).fetchall()) == before


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(cashier, owner, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite files")
    money_rows(cashier, owner)
    result = backup_create(tmp_path / "one.sqlite3")
    target = tmp_path / "busy.sqlite3"
    with sqlite3.connect(target) as db:
        db.execute("CREATE TABLE kept (x INTEGER)")
        db.execute("INSERT INTO kept VALUES (42)")
    err = StringIO()
    with pytest.raises(CommandError, match="restore into the target failed"):
        call_command("restore", str(result.dump), database_url=f"sqlite:///{target}", stderr=err)
    assert "the target database is not empty (1 tables)" in err.getvalue()
    with sqlite3.connect(target) as db:
        tables = db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        assert tables == [("kept",)]
        assert db.execute("SELECT x FROM kept").fetchall() == [(42,)]

    # --force replaces it.
    call_command(
        "restore",
        str(result.dump),
        database_url=f"sqlite:///{target}",
        force=True,
        stdout=StringIO(),
    )
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT COUNT(*) FROM checkout_sale").fetchone() == (4,)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_dump_that_differs_from_its_manifest(cashier, owner, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite files")
    money_rows(cashier, owner)
    result = backup_create(tmp_path / "one.sqlite3")
    with sqlite3.connect(result.dump) as db:  # a balance changed after the backup
        db.execute("UPDATE ledger_account SET balance = balance + 1 WHERE kind = 'principal'")
    db.close()
    target = tmp_path / "new.sqlite3"
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("restore", str(result.dump), database_url=f"sqlite:///{target}", stderr=err)
    assert "the dump's checksum differs from its manifest's" in err.getvalue()
    assert not target.exists() or target.stat().st_size == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_backup_restores_into_a_new_database_with_the_same_money(cashier, owner, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump / pg_restore need PostgreSQL")
    import psycopg

    card_ids = money_rows(cashier, owner)
    before = source_balances()
    assert [before[(c, "principal")] for c in card_ids] == [7_450, 17_450, 27_450]
    result = backup_create(tmp_path, directory=True)
    assert result.dump.suffix == ".pgdump"
    assert result.facts["server_version"] // 10000 == 15

    settings_dict = connection.settings_dict
    name = f"hy_restore_{uuid.uuid4().hex[:10]}"
    admin = {
        "host": settings_dict["HOST"] or "127.0.0.1",
        "port": settings_dict["PORT"] or 5432,
        "user": settings_dict["USER"] or "postgres",
        "password": settings_dict["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    try:
        auth = admin["user"] + (f":{admin['password']}" if admin["password"] else "")
        url = f"postgres://{auth}@{admin['host']}:{admin['port']}/{name}"
        out = StringIO()
        call_command("restore", str(result.dump), database_url=url, stdout=out)
        assert "ledger OK, manifest checksum and counts match" in out.getvalue()
        with psycopg.connect(dbname=name, **admin) as restored:
            rows = restored.execute(SQL_BALANCES).fetchall()
        assert card_balances(rows) == before
        # A second restore into it is refused: it is not empty any more.
        with pytest.raises(CommandError):
            call_command(
                "restore", str(result.dump), database_url=url, stdout=StringIO(), stderr=StringIO()
            )
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_retention_keeps_30_days_and_the_first_dump_of_12_months(tmp_path, settings):
    now = dt.datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    # One dump a day at 03:00 local (19:00 UTC the day before) for 500 days.
    times = [now - dt.timedelta(days=d, hours=1) for d in range(500)]
    keep = retention_keep(times, now=now, keep_days=30, keep_months=12)
    daily = [t for t in times if now - t <= dt.timedelta(days=30)]
    assert len(daily) == 30
    monthly = sorted(keep - set(daily))
    # The first dump of each month (local time), December 2025 to October 2026; November's
    # first is already among the daily ones.
    assert [
        (t.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d")) for t in monthly
    ] == [f"{y}-{m:02d}-01" for y, m in [(2025, 12)] + [(2026, m) for m in range(1, 11)]]
    assert len(keep) == 30 + 11

    for t in times[:40]:
        dump = tmp_path / f"huiyuan-{t.strftime('%Y%m%dT%H%M%SZ')}.sqlite3"
        dump.write_bytes(b"x")
        manifest_path(dump).write_text("{}")
    (tmp_path / "notes.txt").write_text("not a dump")
    removed = backups_prune(tmp_path, now=now, keep_days=30, keep_months=12)
    assert len(removed) == 40 - 30 - 1  # November 1st stays as the month's first
    assert not any(manifest_path(p).exists() for p in removed)
    assert (tmp_path / "notes.txt").exists()
    assert len(list(tmp_path.glob("*.manifest.json"))) == 31


@pytest.mark.django_db(transaction=True)
def test_backup_command_names_the_dump_and_the_checksum(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite")
    out = StringIO()
    call_command("backup", output=f"{tmp_path}/", stdout=out)
    text = out.getvalue()
    dumps = list(Path(tmp_path).glob("huiyuan-*.sqlite3"))
    assert len(dumps) == 1 and f"dump      {dumps[0]}" in text
    assert text.rstrip().endswith("backup OK")


def test_backup_refuses_to_run_inside_a_transaction(db, tmp_path):
    with pytest.raises(CommandError, match="back up outside a transaction"):
        call_command("backup", output=str(tmp_path / "x.sqlite3"), stdout=StringIO())
    assert list(tmp_path.iterdir()) == []
