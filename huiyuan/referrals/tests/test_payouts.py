"""Paying released commission out: into the referrer's stored value as bonus, once, never
held or reversed commission; every refusal changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.checkout.models import SaleLine
from huiyuan.checkout.services import sale_return
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.events.dispatch import events_dispatch
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.models import Lot
from huiyuan.ledger.tests.factories import balances, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.referrals import payouts, services
from huiyuan.referrals.models import ReferralCommission, ReferralPayout


@pytest.fixture
def manager(actors):
    return actors[Role.STORE_MANAGER]


def release_all(sale_id: int) -> None:
    row = ReferralCommission.objects.filter(sale_id=sale_id, reverses__isnull=True).first()
    assert row is not None and row.release_on is not None
    late = dt.datetime.combine(row.release_on, dt.time(12), dt.UTC)
    services.commissions_release_run(now=late)


def snapshot(chain) -> tuple[object, ...]:
    return (
        [balances(c) for c in chain.cards],
        ReferralPayout.objects.count(),
        ReferralCommission.objects.filter(payout__isnull=False).count(),
        OutboxEvent.objects.filter(name="referral.commission_paid").count(),
    )


def refused(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


def test_released_commission_is_paid_once_into_bonus(chain, sell, manager):
    sale = sell(chain.cards[3])  # ¥100 cash: 丙 ¥5.00, 乙 ¥2.00
    events_dispatch()
    release_all(sale.pk)
    owed = {o.member_id: o.amount_fen for o in payouts.owed_by_member(actor=manager)}
    assert owed == {chain.members[2].pk: 500, chain.members[1].pk: 200}
    bonus_before = balances(chain.cards[2])["bonus"]
    payout = payouts.commission_payout(
        actor=manager, member_id=chain.members[2].pk, expected_fen=500, idempotency_key="p-1"
    )
    assert (payout.amount_fen, payout.rows, payout.card_id) == (500, 1, chain.cards[2].pk)
    assert balances(chain.cards[2])["bonus"] == bonus_before + 500 == 500
    assert balances(chain.cards[1])["bonus"] == 0  # 乙 not paid yet
    assert payouts.owed_to(actor=manager, member_id=chain.members[2].pk) == 0
    lot = Lot.objects.get(account__card_id=chain.cards[2].pk, account__kind="bonus")
    assert (lot.amount, lot.remaining, lot.expires_at) == (500, 500, None)
    # The same key again: the same payout, nothing more.
    again = payouts.commission_payout(
        actor=manager, member_id=chain.members[2].pk, expected_fen=500, idempotency_key="p-1"
    )
    assert again.pk == payout.pk
    before = snapshot(chain)
    # Another key: nothing is owed any more.
    assert (
        refused(
            lambda: payouts.commission_payout(
                actor=manager,
                member_id=chain.members[2].pk,
                expected_fen=500,
                idempotency_key="p-2",
            )
        )
        == "nothing_to_pay"
    )
    assert snapshot(chain) == before
    summary = services.member_summary(chain.members[2])
    assert (summary["paid_fen"], summary["owed_fen"], summary["released_fen"]) == (500, 0, 500)
    assert verify_ledger().ok


def test_held_commission_is_not_paid_and_refusals_change_nothing(chain, sell, manager, cashier):
    sell(chain.cards[3])
    events_dispatch()
    before = snapshot(chain)
    member = chain.members[2].pk
    assert (
        refused(
            lambda: payouts.commission_payout(
                actor=manager, member_id=member, expected_fen=500, idempotency_key=key()
            )
        )
        == "nothing_to_pay"
    )
    assert (
        refused(
            lambda: payouts.commission_payout(
                actor=cashier, member_id=member, expected_fen=500, idempotency_key=key()
            )
        )
        == "permission_denied"
    )
    for bad in (0, -500, True):
        assert (
            refused(
                lambda bad=bad: payouts.commission_payout(
                    actor=manager, member_id=member, expected_fen=bad, idempotency_key=key()
                )
            )
            == "invalid_amount"
        )
    assert (
        refused(
            lambda: payouts.commission_payout(
                actor=manager, member_id=987654, expected_fen=500, idempotency_key=key()
            )
        )
        == "member_not_found"
    )
    assert snapshot(chain) == before
    assert ReferralCommission.objects.filter(status="held").count() == 2


def test_an_amount_that_changed_since_confirmation_is_refused(chain, sell, manager):
    first = sell(chain.cards[3])
    events_dispatch()
    release_all(first.pk)
    before = snapshot(chain)
    code = refused(
        lambda: payouts.commission_payout(
            actor=manager, member_id=chain.members[2].pk, expected_fen=400, idempotency_key=key()
        )
    )
    assert code == "payout_amount_changed"
    assert snapshot(chain) == before


def test_reversed_commission_is_never_paid(chain, sell, manager):
    member = chain.members[2].pk
    sale = sell(chain.cards[3], quantity=3)  # ¥300: 丙 ¥15.00
    events_dispatch()
    line = SaleLine.objects.get(sale=sale)
    sale_return(
        actor=manager,
        sale_id=sale.pk,
        lines=[(line.pk, 1000)],
        reason="退一件",
        idempotency_key=key(),
    )
    events_dispatch()
    release_all(sale.pk)
    # Returned before the payout: the credit's net is paid (¥15.00 − ¥5.00).
    assert payouts.owed_to(actor=manager, member_id=member) == 1000
    payouts.commission_payout(
        actor=manager, member_id=member, expected_fen=1000, idempotency_key=key()
    )
    assert balances(chain.cards[2])["bonus"] == 1000
    # Returned after the payout: owed back, deducted from the next payout.
    sale_return(
        actor=manager,
        sale_id=sale.pk,
        lines=[(line.pk, 1000)],
        reason="再退一件",
        idempotency_key=key(),
    )
    events_dispatch()
    assert payouts.owed_to(actor=manager, member_id=member) == -500
    assert member not in {
        o.member_id for o in payouts.owed_by_member(actor=manager) if o.amount_fen > 0
    }
    later = sell(chain.cards[3])  # ¥100: 丙 ¥5.00, released
    events_dispatch()
    release_all(later.pk)
    assert payouts.owed_to(actor=manager, member_id=member) == 0
    before = snapshot(chain)
    assert (
        refused(
            lambda: payouts.commission_payout(
                actor=manager, member_id=member, expected_fen=500, idempotency_key=key()
            )
        )
        == "nothing_to_pay"
    )
    assert snapshot(chain) == before
    third = sell(chain.cards[3], quantity=3)  # ¥15.00 more
    events_dispatch()
    release_all(third.pk)
    payout = payouts.commission_payout(
        actor=manager, member_id=member, expected_fen=1500, idempotency_key=key()
    )
    # Paid in all: ¥10.00 + ¥15.00 = what the credits net after the returns (¥10 + ¥5 + ¥15 − ¥5).
    assert payout.amount_fen == 1500
    assert balances(chain.cards[2])["bonus"] == 2500
    net = sum(
        ReferralCommission.objects.filter(beneficiary_id=member).values_list(
            "amount_fen", flat=True
        )
    )
    assert net == 2500
    assert (
        ReferralCommission.objects.filter(beneficiary_id=member, payout__isnull=True).count() == 0
    )
    assert verify_ledger().ok


def test_a_store_manager_pays_only_commission_of_their_stores(chain, sell, manager, stores, owner):
    sale = sell(chain.cards[3])
    events_dispatch()
    release_all(sale.pk)
    ReferralCommission.objects.filter(sale_id=sale.pk).update(store_id=stores[1].pk)
    assert payouts.owed_by_member(actor=manager) == []
    assert (
        refused(
            lambda: payouts.commission_payout(
                actor=manager,
                member_id=chain.members[2].pk,
                expected_fen=500,
                idempotency_key=key(),
            )
        )
        == "nothing_to_pay"
    )
    payout = payouts.commission_payout(
        actor=owner, member_id=chain.members[2].pk, expected_fen=500, idempotency_key=key()
    )
    # Head office without a store: paid from the card's home store's bonus account.
    assert payout.store_id == chain.cards[2].store_id
