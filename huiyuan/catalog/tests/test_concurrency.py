"""Real threads against PostgreSQL: the catalog's uniqueness rules hold under races."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from collections import Counter

import pytest
from django.db import close_old_connections, connection

from huiyuan.catalog import services
from huiyuan.catalog.models import Category, PriceChange, Product
from huiyuan.core.errors import DomainError

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
LATER = dt.datetime(2030, 5, 1, 7, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("races are tested on PostgreSQL (SQLite serialises writers)")


def run_threads(target, count: int = THREADS) -> Counter[str]:
    barrier = threading.Barrier(count)
    results: list[str] = [""] * count

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
        t.join(60)
    return Counter(results)


def test_one_of_many_racing_creates_of_one_sku_or_barcode_wins(owner):
    def create(i: int) -> str:
        services.product_create(
            actor=owner,
            data=services.ProductInput(
                sku="RACE" if i % 2 else f"RACE-{i}",
                name="抢注",
                list_price_fen=100,
                barcode="6901939621257",
            ),
        )
        return "ok"

    results = run_threads(create)
    assert results["ok"] == 1, results
    assert set(results) <= {"ok", "duplicate_sku", "duplicate_barcode"}, results
    assert Product.objects.count() == 1


def test_one_of_many_racing_changes_at_one_moment_wins(owner, make_product):
    product = make_product(sku="FUEL-92", name="92#汽油", list_price_fen=789, unit="litre")

    def schedule(i: int) -> str:
        services.price_change_schedule(
            actor=owner, product_id=product.pk, price_fen=800 + i, effective_from=LATER
        )
        return "ok"

    assert run_threads(schedule) == {"ok": 1, "price_change_exists": THREADS - 1}
    assert PriceChange.objects.filter(product=product).count() == 1


def test_racing_moves_never_make_a_cycle(owner):
    a = services.category_create(actor=owner, code="a", name="甲")
    b = services.category_create(actor=owner, code="b", name="乙")

    def move(i: int) -> str:
        child, parent = (a, b) if i % 2 else (b, a)
        services.category_update(actor=owner, category_id=child.pk, parent_id=parent.pk)
        return "ok"

    results = run_threads(move, 2)
    assert results == {"ok": 1, "category_cycle": 1}, results
    paths = sorted(Category.objects.values_list("path", flat=True))
    assert paths in (["a", "a/b"], ["b", "b/a"])
