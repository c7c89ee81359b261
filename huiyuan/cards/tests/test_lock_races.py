"""Real threads on PostgreSQL: card lifecycle operations racing the money paths.

Each race runs the two sides many times at once. Whatever the interleaving, no deadlock or
other database error reaches the caller (only domain refusals), no status is bypassed (a
sale is never recorded on a lost, void or cancelled card), and the ledger stays exact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from huiyuan.cards import services as card_services
from huiyuan.cards.models import Card
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.races import race
from huiyuan.ledger.tests.factories import balances, card, default_rule, key, member
from huiyuan.ledger.verify import verify_ledger
from huiyuan.members import services as member_services
from huiyuan.members.models import Member
from huiyuan.wallet.services import wallet_recharge

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 6
SALES_PER_ROUND = 6


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def no_crash(results: list[object]) -> None:
    crashes = [r for r in results if isinstance(r, str) and r.startswith("crash")]
    assert not crashes, crashes


def sale_side(actor, card_id: int, **extra) -> Callable[[], object]:
    data = {"amount_fen": 1000, "external_method": "cash", **extra}
    return lambda: sale_quick(
        actor=actor, data=QuickSaleInput(card_id=card_id, **data), idempotency_key=key()
    )


@pytest.fixture
def funded(owner, cashier):
    default_rule(owner)

    def make() -> Card:
        c = card(cashier, owner)
        wallet_recharge(
            actor=cashier, card_id=c.pk, amount_fen=100_000, method="cash", idempotency_key=key()
        )
        return c

    return make


def test_reissue_racing_sales_moves_everything_and_never_earns_on_the_void_card(
    funded, cashier, owner
):
    for _ in range(ROUNDS):
        old = funded()
        sides = [sale_side(cashier, old.pk, balance_fen=1000) for _ in range(SALES_PER_ROUND)]
        sides.append(
            lambda old=old: card_services.card_reissue(
                actor=owner, card_id=old.pk, idempotency_key=key(), reason="补卡"
            )
        )
        results = race(*sides)
        no_crash(results)
        assert set(results[:-1]) <= {"card_not_active"} | {
            r for r in results[:-1] if isinstance(r, Sale)
        }
        new = results[-1]
        assert isinstance(new, Card)
        sold = [r for r in results if isinstance(r, Sale)]
        old.refresh_from_db()
        assert old.status == Card.Status.VOID
        # Everything on the old card moved; the sales before the reissue are on the new one.
        assert balances(old) == {"principal": 0, "bonus": 0, "points": 0}
        assert balances(new)["principal"] == 100_000 - 1000 * len(sold)
        assert balances(new)["points"] == sum(s.points_earned for s in sold)
    report = verify_ledger()
    assert report.ok, report.problems


def test_report_lost_racing_sales_never_spends_a_lost_card(funded, cashier, owner):
    for _ in range(ROUNDS):
        c = funded()
        sides = [sale_side(cashier, c.pk, balance_fen=1000) for _ in range(SALES_PER_ROUND)]
        sides.append(
            lambda c=c: card_services.card_report_lost(actor=cashier, card_id=c.pk, reason="丢失")
        )
        results = race(*sides)
        no_crash(results)
        sold = [r for r in results[:-1] if isinstance(r, Sale)]
        refused = [r for r in results[:-1] if not isinstance(r, Sale)]
        assert set(refused) <= {"card_lost"}
        assert balances(c)["principal"] == 100_000 - 1000 * len(sold)
        # Every sale that got through was written before the card was reported lost.
        lost_at = Card.objects.get(pk=c.pk)
        assert lost_at.status == Card.Status.LOST
    report = verify_ledger()
    assert report.ok, report.problems


def test_cancel_racing_a_sale_leaves_no_points_on_a_cancelled_card(owner, cashier):
    default_rule(owner)
    for _ in range(ROUNDS):
        c = card(cashier, owner)
        results = race(
            sale_side(cashier, c.pk),  # cash: earns 10 points onto the card
            lambda c=c: card_services.card_cancel(actor=owner, card_id=c.pk, reason="注销"),
        )
        no_crash(results)
        sale, cancel = results
        c.refresh_from_db()
        if isinstance(sale, Sale):  # the sale went first: the card is no longer empty
            assert cancel == "card_not_empty"
            assert c.status == Card.Status.ACTIVE and balances(c)["points"] == 10
        else:
            assert sale == "card_not_active" and isinstance(cancel, Card)
            assert c.status == Card.Status.CANCELLED and balances(c)["points"] == 0
    report = verify_ledger()
    assert report.ok, report.problems


def test_merge_racing_a_reissue_and_a_sale_neither_deadlocks(funded, owner, cashier):
    for _ in range(ROUNDS):
        c = funded()
        assert c.member_id is not None
        survivor = member(cashier, name="李四")
        results = race(
            lambda c=c, survivor=survivor: member_services.member_merge(
                actor=owner, survivor_id=survivor.pk, duplicate_id=c.member_id, reason="重复档案"
            ),
            lambda c=c: card_services.card_reissue(
                actor=owner, card_id=c.pk, idempotency_key=key(), reason="补卡"
            ),
            sale_side(cashier, c.pk, balance_fen=1000),
        )
        no_crash(results)
        merged, new, _sale = results
        assert isinstance(merged, Member) and isinstance(new, Card)
        new.refresh_from_db()
        # Whichever went first, the new card ends up with the survivor.
        assert new.member_id == survivor.pk
        assert balances(c) == {"principal": 0, "bonus": 0, "points": 0}
    report = verify_ledger()
    assert report.ok, report.problems


def test_recharge_racing_a_freeze_decides_on_the_member_as_locked(owner, cashier):
    from huiyuan.wallet.services import recharge_package_create

    package = recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)
    outcomes: Counter[str] = Counter()
    for _ in range(ROUNDS):
        c = card(cashier, owner)
        results = race(
            lambda c=c: wallet_recharge(
                actor=cashier,
                card_id=c.pk,
                amount_fen=50000,
                method="cash",
                package_id=package.pk,
                idempotency_key=key(),
            ),
            lambda c=c: member_services.member_freeze(
                actor=owner, member_id=c.member_id, earning=True, spending=False, reason="风控"
            ),
        )
        no_crash(results)
        recharge = results[0]
        assert not isinstance(recharge, str), recharge
        outcomes["bonus" if recharge.bonus_fen else "no bonus"] += 1
        assert balances(c)["principal"] == 50000
        assert balances(c)["bonus"] == recharge.bonus_fen
    report = verify_ledger()
    assert report.ok, report.problems
