"""Real threads against PostgreSQL: no overdraft, one effect per key, ledger stays exact."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import close_old_connections, connection

from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.errors import DomainError
from huiyuan.ledger.models import Operation
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.wallet.services import wallet_recharge

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

THREADS = 32


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is tested on PostgreSQL (SQLite serialises writers)")


def run_threads(target, count: int = THREADS) -> list[object]:
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except DomainError as exc:
            results[i] = exc.code
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = f"crash: {exc!r}"
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_32_threads_spending_one_card_never_overdraw(owner, cashier):
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=10_000, method="cash", idempotency_key=key()
    )

    def spend(i: int) -> str:
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=700, card_id=c.pk, balance_fen=700),
            idempotency_key=f"spend-{i}",
        )
        return "ok"

    results = Counter(run_threads(spend))
    # ¥100 holds fourteen ¥7 spends; the other eighteen are refused, none crash.
    assert results == {"ok": 14, "insufficient_balance": 18}, results
    assert balances(c)["principal"] == 10_000 - 14 * 700
    report = verify_ledger()
    assert report.ok, report.problems


def test_duplicate_concurrent_requests_with_one_key_have_one_effect(owner, cashier):
    c = card(cashier, owner)
    shared_key = key()

    def recharge(i: int) -> int:
        return wallet_recharge(
            actor=cashier, card_id=c.pk, amount_fen=5_000, method="cash", idempotency_key=shared_key
        ).pk

    results = run_threads(recharge)
    assert len(set(results)) == 1, results
    assert balances(c)["principal"] == 5_000
    assert Operation.objects.filter(kind="recharge").count() == 1
    assert verify_ledger().ok


def test_concurrent_recharges_and_spends_across_cards_stay_exact(owner, cashier):
    cards = [card(cashier, owner) for _ in range(4)]
    for c in cards:
        wallet_recharge(
            actor=cashier, card_id=c.pk, amount_fen=3_000, method="cash", idempotency_key=key()
        )

    def work(i: int) -> str:
        c = cards[(i // 2) % 4]
        if i % 2:
            wallet_recharge(
                actor=cashier, card_id=c.pk, amount_fen=100, method="cash", idempotency_key=f"r-{i}"
            )
        else:
            sale_quick(
                actor=cashier,
                data=QuickSaleInput(amount_fen=500, card_id=c.pk, balance_fen=500),
                idempotency_key=f"s-{i}",
            )
        return "ok"

    assert Counter(run_threads(work)) == {"ok": THREADS}
    # Each card: 3,000 + 4 × 100 − 4 × 500.
    assert [balances(c)["principal"] for c in cards] == [1_400] * 4
    assert verify_ledger().ok
