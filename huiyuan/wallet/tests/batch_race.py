"""A batch recharge racing a counter: the scenario shared by the SQLite and PostgreSQL tests.

On PostgreSQL the tests call ``race`` in-process (real threads on the test database). On
SQLite the test database is in memory, where locking is not SQLite's file locking, so the
test copies it to a file and runs this module in a child process against that file:

    DATABASE_URL=sqlite:////tmp/copy.sqlite3 python -m huiyuan.wallet.tests.batch_race args.json
"""

from __future__ import annotations

import dataclasses
import io
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import openpyxl

from huiyuan.core.permissions import Actor

START_DELAY = 0.5  # seconds the batch runs before the counter starts


def batch_file(card_numbers: list[str], rows: int) -> bytes:
    """``rows`` rows of ¥1.00, spread over the cards in turn (each card in every stretch)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(("卡号", "金额", "备注"))
    for i in range(rows):
        sheet.append((card_numbers[i % len(card_numbers)], "1", f"福利 {i}"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def race(*, hq: Actor, cashier: Actor, plan_data: dict[str, Any], card_id: int) -> dict[str, Any]:
    """Apply the batch in a thread; meanwhile a counter recharges and sells on ``card_id``
    (a card the batch also recharges). Reports what each side got and when it finished."""
    from django.db import connection

    from huiyuan.checkout.services import QuickSaleInput, sale_quick
    from huiyuan.wallet.batch import BatchPlan, batch_recharge_apply
    from huiyuan.wallet.services import wallet_recharge

    plan = BatchPlan.load(plan_data)
    result: dict[str, Any] = {}
    begin = time.monotonic()

    def apply() -> None:
        try:
            done = batch_recharge_apply(actor=hq, plan=plan, idempotency_key="race-batch")
            result["batch"] = f"ok {len(done.recharges)}"
        except Exception as exc:  # noqa: BLE001 - reported to the test
            result["batch"] = repr(exc)
        finally:
            result["batch_end"] = time.monotonic() - begin
            connection.close()

    worker = threading.Thread(target=apply)
    worker.start()
    time.sleep(START_DELAY)
    started = time.monotonic()
    try:
        wallet_recharge(
            actor=cashier,
            card_id=card_id,
            amount_fen=10000,
            method="cash",
            idempotency_key="race-counter-recharge",
        )
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=2500, card_id=card_id, balance_fen=2500),
            idempotency_key="race-counter-sale",
        )
        result["counter"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported to the test
        result["counter"] = repr(exc)
    result["counter_end"] = time.monotonic() - begin
    result["counter_seconds"] = time.monotonic() - started
    worker.join(600)
    return result


def main(path: str) -> None:
    import django

    django.setup()
    from huiyuan.stores.models import Staff

    args = json.loads(Path(path).read_text(encoding="utf-8"))
    hq = dataclasses.replace(Staff.objects.get(pk=args["hq"]).as_actor(), store_id=args["store_id"])
    cashier = Staff.objects.get(pk=args["cashier"]).as_actor()
    print(json.dumps(race(hq=hq, cashier=cashier, plan_data=args["plan"], card_id=args["card"])))


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiyuan.settings")
    main(sys.argv[1])
