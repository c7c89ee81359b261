"""The points lottery: cost and prize in one transaction; every draw recomputes from its seed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiyuan.core.errors import DomainError
from huiyuan.gifts import draws, services
from huiyuan.gifts.models import Draw, Lottery, Prize, Redemption
from huiyuan.gifts.services import PrizeInput
from huiyuan.ledger.tests.factories import balances, key
from huiyuan.ledger.verify import verify_ledger


def running(owner, prizes: list[PrizeInput], cost: int = 50) -> Lottery:
    lottery = services.lottery_create(
        actor=owner, name="周年庆抽奖", cost_points=cost, prizes=prizes
    )
    return services.lottery_set_status(
        actor=owner, lottery_id=lottery.pk, status=Lottery.Status.ACTIVE
    )


@pytest.mark.django_db
def test_a_draw_costs_points_gives_its_prize_and_verifies(
    owner, cashier, card_with_points, make_gift
):
    c = card_with_points(1000)
    gift = make_gift(stock=5)
    lottery = running(
        owner,
        [
            PrizeInput(kind="gift", weight=1, gift_id=gift.pk, stock=2),
            PrizeInput(kind="points", weight=1, points=100),
            PrizeInput(kind="nothing", weight=2),
        ],
    )
    assert lottery.commitment == draws.commitment_of(lottery.secret)
    won = {"gift": 0, "points": 0, "nothing": 0}
    for _ in range(12):
        d = services.lottery_draw(
            actor=cashier, lottery_id=lottery.pk, card_id=c.pk, idempotency_key=key()
        )
        check = services.draw_verify(d)
        assert check.ok, check
        won[d.prize.kind if d.prize else "nothing"] += 1
    assert won["gift"] <= 2
    gifts_won = Redemption.objects.filter(channel="lottery").count()
    assert gifts_won == won["gift"]
    gift.refresh_from_db()
    assert gift.stock == 5 - gifts_won
    expected = 1000 - 12 * 50 + 100 * won["points"]
    assert balances(c)["points"] == expected
    assert verify_ledger().ok


@pytest.mark.django_db
def test_a_tampered_draw_does_not_verify(owner, cashier, card_with_points):
    c = card_with_points(500)
    lottery = running(
        owner,
        [PrizeInput(kind="points", weight=3, points=10), PrizeInput(kind="nothing", weight=7)],
    )
    d = services.lottery_draw(
        actor=cashier, lottery_id=lottery.pk, card_id=c.pk, idempotency_key=key()
    )
    assert services.draw_verify(d).ok
    assert not services.draw_verify(d, secret="0" * 64).ok
    other = next(p for p in lottery.prizes.all() if p.pk != d.prize_id)
    d.prize_id = other.pk
    assert not services.draw_verify(d).prize_ok


@pytest.mark.django_db
def test_out_of_stock_prize_falls_back_to_the_next_declared(owner, cashier, card_with_points):
    c = card_with_points(1000)
    lottery = running(
        owner,
        [
            PrizeInput(kind="points", weight=1, points=500, stock=0),
            PrizeInput(kind="points", weight=0, points=5),  # only reached by fallback
        ],
        cost=10,
    )
    first, second = lottery.prizes.order_by("position")
    d = services.lottery_draw(
        actor=cashier, lottery_id=lottery.pk, card_id=c.pk, idempotency_key=key()
    )
    assert d.picked_id == first.pk and d.prize_id == second.pk
    assert d.out_of_stock == [first.pk]
    assert services.draw_verify(d).ok
    assert balances(c)["points"] == 1000 - 10 + 5


@pytest.mark.django_db
def test_a_refused_draw_changes_nothing(owner, cashier, card_with_points):
    c = card_with_points(30)
    lottery = running(owner, [PrizeInput(kind="points", weight=1, points=100, stock=1)], cost=50)
    with pytest.raises(DomainError) as exc:
        services.lottery_draw(
            actor=cashier, lottery_id=lottery.pk, card_id=c.pk, idempotency_key=key()
        )
    assert exc.value.code == "insufficient_points"
    assert balances(c)["points"] == 30
    assert Draw.objects.count() == 0
    assert Prize.objects.get().stock == 1
    services.lottery_set_status(actor=owner, lottery_id=lottery.pk, status=Lottery.Status.ENDED)
    c2 = card_with_points(500)
    with pytest.raises(DomainError) as exc:
        services.lottery_draw(
            actor=cashier, lottery_id=lottery.pk, card_id=c2.pk, idempotency_key=key()
        )
    assert exc.value.code == "lottery_not_running"
    assert balances(c2)["points"] == 500


@pytest.mark.django_db
def test_the_secret_is_published_when_the_lottery_ends(owner):
    lottery = services.lottery_create(
        actor=owner, name="x", cost_points=1, prizes=[PrizeInput(kind="nothing", weight=1)]
    )
    assert lottery.secret_revealed == ""
    ended = services.lottery_set_status(
        actor=owner, lottery_id=lottery.pk, status=Lottery.Status.ENDED
    )
    assert ended.secret_revealed == lottery.secret


@given(
    seed=st.binary(min_size=32, max_size=32).map(bytes.hex),
    weights=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=6),
    out=st.sets(st.integers(min_value=1, max_value=6)),
)
def test_pick_follows_the_cumulative_weights(seed, weights, out):
    table = [(i + 1, w) for i, w in enumerate(weights)]
    picked, roll = draws.pick(seed, table)
    total = sum(weights)
    if total == 0:
        assert picked is None
        return
    assert roll == int(seed, 16) % total
    below = sum(w for pid, w in table if pid < picked)
    assert below <= roll < below + dict(table)[picked]
    awarded = draws.award(picked, [pid for pid, _ in table], out)
    later = [pid for pid, _ in table if pid >= picked and pid not in out]
    assert awarded == (later[0] if later else None)
