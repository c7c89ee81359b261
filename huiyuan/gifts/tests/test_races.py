"""Real threads on PostgreSQL: scarce gifts and prizes are never given once too often."""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection

from huiyuan.core.errors import DomainError
from huiyuan.gifts import services
from huiyuan.gifts.models import Draw, GiftMovement, Lottery, Prize, Redemption
from huiyuan.gifts.services import PrizeInput
from huiyuan.ledger.tests.factories import balances, key
from huiyuan.ledger.verify import verify_ledger

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REQUESTS = 100
THREADS = 25  # real concurrent connections (PostgreSQL allows 100 in all, shared)
CARDS = 20


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def storm(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls on THREADS real threads released together; each result is what the
    call returned, its domain error code, or a crash."""
    barrier = threading.Barrier(THREADS)
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(len(calls)):
        work.put(i)
    results: list[object] = [None] * len(calls)

    def worker() -> None:
        try:
            barrier.wait()
            while True:
                try:
                    i = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[i] = calls[i]()
                except DomainError as exc:
                    results[i] = exc.code
                except Exception as exc:  # noqa: BLE001 - asserted: nothing else may escape
                    results[i] = f"crash: {exc!r}"
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return results


def test_100_concurrent_redemptions_of_a_gift_with_stock_10(cashier, card_with_points, make_gift):
    cards = [card_with_points(1000) for _ in range(CARDS)]
    gift = make_gift(points=100, stock=10)
    calls = [
        (
            lambda c=cards[i % CARDS]: services.gift_redeem(
                actor=cashier, card_id=c.pk, gift_id=gift.pk, idempotency_key=key()
            )
        )
        for i in range(REQUESTS)
    ]
    results = storm(calls)
    crashes = [r for r in results if isinstance(r, str) and r.startswith("crash")]
    assert not crashes, crashes[:3]
    won = [r for r in results if isinstance(r, Redemption)]
    refused = Counter(r for r in results if isinstance(r, str))
    assert len(won) == 10
    assert refused == {"gift_out_of_stock": 90}
    gift.refresh_from_db()
    assert gift.stock == 0
    assert Redemption.objects.filter(gift=gift).count() == 10
    stock_after = sorted(
        GiftMovement.objects.filter(gift=gift, kind="redeem").values_list("stock_after", flat=True)
    )
    assert stock_after == list(range(10))
    per_card = Counter(r.card_id for r in won)
    for c in cards:
        assert balances(c)["points"] == 1000 - 100 * per_card.get(c.pk, 0)
    report = verify_ledger()
    assert report.ok, report.problems


def test_100_concurrent_draws_never_exceed_prize_stock(owner, cashier, card_with_points, make_gift):
    cards = [card_with_points(1000) for _ in range(CARDS)]
    gift = make_gift(points=100, stock=50)
    lottery = services.lottery_create(
        actor=owner,
        name="压力抽奖",
        cost_points=10,
        prizes=[
            PrizeInput(kind="gift", weight=60, gift_id=gift.pk, stock=10),
            PrizeInput(kind="points", weight=30, points=20, stock=5),
            PrizeInput(kind="nothing", weight=10),
        ],
    )
    services.lottery_set_status(actor=owner, lottery_id=lottery.pk, status=Lottery.Status.ACTIVE)
    calls = [
        (
            lambda c=cards[i % CARDS]: services.lottery_draw(
                actor=cashier, lottery_id=lottery.pk, card_id=c.pk, idempotency_key=key()
            )
        )
        for i in range(REQUESTS)
    ]
    results = storm(calls)
    crashes = [r for r in results if not isinstance(r, Draw)]
    assert not crashes, crashes[:3]
    gift_prize, points_prize, _nothing = Prize.objects.filter(lottery=lottery).order_by("position")
    draws = list(Draw.objects.filter(lottery=lottery))
    assert len(draws) == REQUESTS
    won = Counter(d.prize_id for d in draws)
    assert won[gift_prize.pk] <= 10 and won[points_prize.pk] <= 5
    assert gift_prize.stock == 10 - won[gift_prize.pk]
    assert points_prize.stock == 5 - won[points_prize.pk]
    gift.refresh_from_db()
    assert gift.stock == 50 - won[gift_prize.pk]
    # With 100 draws at these weights both limited prizes run out (and later draws fall back).
    assert (won[gift_prize.pk], won[points_prize.pk]) == (10, 5)
    for d in draws:
        assert services.draw_verify(d).ok
    per_card = Counter(d.card_id for d in draws)
    points_won = Counter()
    for d in draws:
        points_won[d.card_id] += d.points_won
    for c in cards:
        assert balances(c)["points"] == 1000 - 10 * per_card[c.pk] + points_won[c.pk]
    report = verify_ledger()
    assert report.ok, report.problems


def test_two_runs_of_one_distribution_give_each_member_once(owner, cashier, make_gift):
    from huiyuan.gifts.models import DistributionLine
    from huiyuan.ledger.tests.factories import member

    people = [member(cashier) for _ in range(30)]
    gift = make_gift(stock=20)
    batch = services.distribution_create(
        actor=owner,
        gift_id=gift.pk,
        member_ids=[p.pk for p in people],
        reason="会员日",
        idempotency_key=key(),
    )
    results = storm(
        [lambda: services.distribution_run(actor=owner, distribution_id=batch.pk)] * THREADS
    )
    crashes = [r for r in results if isinstance(r, str)]
    assert not crashes, crashes[:3]
    gift.refresh_from_db()
    assert gift.stock == 0
    given = Redemption.objects.filter(gift=gift, channel="distribution")
    assert given.count() == 20
    assert len(set(given.values_list("member_id", flat=True))) == 20
    lines = DistributionLine.objects.filter(distribution=batch)
    assert lines.filter(status="given").count() == 20
    assert set(lines.filter(status="skipped").values_list("reason_code", flat=True)) == {
        "gift_out_of_stock"
    }
    batch.refresh_from_db()
    assert (batch.given, batch.skipped, batch.status) == (20, 10, "done")
