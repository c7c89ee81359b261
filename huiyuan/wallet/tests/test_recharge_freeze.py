"""Freezes and money (docs/money-rules.md): earning frozen → a recharge gets no bonus (and a
sale no points); spending frozen → no paying by balance or points. Decided on the member row
read under the lock."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.errors import Conflict
from huiyuan.ledger.models import Lot
from huiyuan.ledger.tests.factories import balances, card, default_rule, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.members.models import Member
from huiyuan.members.services import member_freeze, member_unfreeze
from huiyuan.wallet.models import Recharge
from huiyuan.wallet.services import recharge_package_create, wallet_recharge


@pytest.fixture
def package(owner):
    return recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)


def recharge(cashier, c, package) -> Recharge:
    return wallet_recharge(
        actor=cashier,
        card_id=c.pk,
        amount_fen=50000,
        method="cash",
        package_id=package.pk,
        idempotency_key=key(),
    )


def freeze(owner, member_id: int, *, earning: bool, spending: bool) -> None:
    member_freeze(
        actor=owner, member_id=member_id, earning=earning, spending=spending, reason="风控核查"
    )


@pytest.mark.django_db
def test_earning_frozen_recharge_gets_principal_and_no_bonus(owner, cashier, package):
    c = card(cashier, owner)
    freeze(owner, c.member_id, earning=True, spending=True)

    done = recharge(cashier, c, package)

    assert (done.principal_fen, done.bonus_fen, done.package_id) == (50000, 0, package.pk)
    assert balances(c) == {"principal": 50000, "bonus": 0, "points": 0}
    assert not Lot.objects.filter(account__card_id=c.pk).exists()
    assert done.operation.details["bonus"] == 0
    assert verify_ledger().problems == []


@pytest.mark.django_db
def test_only_spending_frozen_still_gets_the_bonus(owner, cashier, package):
    c = card(cashier, owner)
    freeze(owner, c.member_id, earning=False, spending=True)
    assert recharge(cashier, c, package).bonus_fen == 5000
    assert balances(c) == {"principal": 50000, "bonus": 5000, "points": 0}


@pytest.mark.django_db
def test_unfrozen_again_the_bonus_is_given_again(owner, cashier, package):
    c = card(cashier, owner)
    freeze(owner, c.member_id, earning=True, spending=False)
    assert recharge(cashier, c, package).bonus_fen == 0
    member_unfreeze(
        actor=owner, member_id=c.member_id, earning=True, spending=False, reason="核查完毕"
    )
    assert recharge(cashier, c, package).bonus_fen == 5000
    assert balances(c) == {"principal": 100000, "bonus": 5000, "points": 0}


@pytest.mark.django_db
def test_frozen_member_sale_earns_nothing_and_cannot_spend(owner, cashier, package):
    default_rule(owner)
    c = card(cashier, owner)
    recharge(cashier, c, package)
    freeze(owner, c.member_id, earning=True, spending=True)
    before = balances(c)
    with pytest.raises(Conflict) as refused:
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=1000, card_id=c.pk, balance_fen=1000),
            idempotency_key=key(),
        )
    assert refused.value.code == "member_spend_frozen"
    assert balances(c) == before
    sale = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=1000, card_id=c.pk, external_method="cash"),
        idempotency_key=key(),
    )
    assert sale.points_earned == 0
    assert balances(c) == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_freeze_committed_while_the_recharge_waits_for_the_lock_withholds_the_bonus(
    owner, cashier, package
):
    """The freeze holds the member row; the recharge waits for it and then decides on the
    row as the freeze left it, not on what it might have read before."""
    if connection.vendor != "postgresql":
        pytest.skip("row-lock waits are tested on PostgreSQL")
    c = card(cashier, owner)
    result: dict[str, object] = {}

    def recharge_in_thread() -> None:
        try:
            result["recharge"] = recharge(cashier, c, package)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            result["error"] = exc
        finally:
            close_old_connections()
            connection.close()

    with transaction.atomic():
        # The freeze, as member_freeze writes it, holding the member row until commit.
        Member.objects.select_for_update().filter(pk=c.member_id).update(earn_frozen=True)
        worker = threading.Thread(target=recharge_in_thread)
        worker.start()
        time.sleep(0.5)  # the recharge is now waiting on the member row
        assert worker.is_alive()
    worker.join(30)
    assert "error" not in result, result
    done = result["recharge"]
    assert isinstance(done, Recharge) and done.bonus_fen == 0
    assert balances(c) == {"principal": 50000, "bonus": 0, "points": 0}
    assert verify_ledger().problems == []
