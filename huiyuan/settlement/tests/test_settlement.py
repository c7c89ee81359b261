"""Chain settlement: whoever holds a member's money owes the store where it was spent."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiyuan.checkout.services import QuickSaleInput, sale_quick, sale_reverse
from huiyuan.core.clock import local_today
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.ledger.models import Account
from huiyuan.ledger.tests.factories import card, key
from huiyuan.settlement.selectors import settlement_compute, settlement_report
from huiyuan.stores.models import Store
from huiyuan.wallet.services import wallet_recharge, wallet_refund


def at(actor, store):
    return dataclasses.replace(actor, store_id=store.pk)


def spend(actor, store, c, fen):
    return sale_quick(
        actor=at(actor, store),
        data=QuickSaleInput(amount_fen=fen, card_id=c.pk, balance_fen=fen),
        idempotency_key=key(),
    )


def recharge(actor, store, c, fen):
    return wallet_recharge(
        actor=at(actor, store),
        card_id=c.pk,
        amount_fen=fen,
        method="cash",
        idempotency_key=key(),
    )


def test_a_card_recharged_at_one_store_and_spent_at_another(stores, owner, cashier, actors):
    a, b = stores
    c = card(cashier, owner)
    recharge(owner, a, c, 10000)
    spend(owner, b, c, 3000)
    spend(owner, a, c, 1000)
    wallet_refund(
        actor=at(owner, b),
        card_id=c.pk,
        amount_fen=2000,
        method="cash",
        reason="退",
        idempotency_key=key(),
    )
    today = local_today()
    report = settlement_report(actor=owner, date_from=today, date_to=today)
    by_store = {line.store_id: line.figures for line in report.lines}
    assert by_store[a.pk].payable_fen == 5000 and by_store[a.pk].net_fen == -5000
    assert by_store[b.pk].receivable_fen == 5000 and by_store[b.pk].net_fen == 5000
    assert by_store[a.pk].recharged_fen == 10000
    assert by_store[b.pk].spent_principal_fen == 3000 and by_store[b.pk].refunded_fen == 2000
    assert [(p.debtor_id, p.creditor_id, p.principal_fen) for p in report.pairs] == [
        (a.pk, b.pk, 5000)
    ]
    assert report.chain_net_fen == 0

    # The manager of store A sees its own line and its pairs, not the chain check.
    scoped = settlement_report(actor=actors[Role.STORE_MANAGER], date_from=today, date_to=today)
    assert [line.store_id for line in scoped.lines] == [a.pk]
    assert scoped.chain_net_fen is None and not scoped.chain_wide
    with pytest.raises(DomainError) as refused:
        settlement_report(
            actor=actors[Role.STORE_MANAGER], date_from=today, date_to=today, store_id=b.pk
        )
    assert refused.value.code == "store_forbidden"
    with pytest.raises(DomainError) as not_allowed:
        settlement_report(actor=cashier, date_from=today, date_to=today)
    assert not_allowed.value.code == "permission_denied"


def test_a_reversed_spend_leaves_nobody_owing(stores, owner, cashier):
    a, b = stores
    c = card(cashier, owner)
    recharge(owner, a, c, 5000)
    sale = spend(owner, b, c, 2000)
    sale_reverse(actor=at(owner, b), sale_id=sale.pk, reason="错", idempotency_key=key())
    spend(owner, a, c, 5000)  # the rest, all of it, at A
    today = local_today()
    result = settlement_compute(date_from=today, date_to=today)
    nets = {pk: f.net_fen for pk, f in result.stores.items()}
    # B was owed 2000 for the sale, then owes 2000 back for value it returned and A delivered.
    assert nets.get(a.pk, 0) == 0 and nets.get(b.pk, 0) == 0


def test_an_invalid_period_is_refused(owner):
    today = local_today()
    with pytest.raises(DomainError) as refused:
        settlement_compute(date_from=today, date_to=today.replace(year=today.year - 1))
    assert refused.value.code == "invalid_period"


STEP = st.tuples(
    st.sampled_from(["recharge", "spend", "refund"]),
    st.integers(min_value=0, max_value=2),  # card
    st.integers(min_value=0, max_value=2),  # store
    st.integers(min_value=1, max_value=20000),
)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(STEP, min_size=1, max_size=10))
def test_settlement_sums_to_zero_and_reconciles(stores, owner, cashier, steps):
    """Over random recharges, spends and refunds across three stores: the nets sum to zero,
    and over all history each store's net = spent + refunded + still held − recharged."""
    shops = [*stores, Store.objects.get_or_create(code="S03", defaults={"name": "西城店"})[0]]
    cards = [card(cashier, owner) for _ in range(3)]
    balance = {c.pk: 0 for c in cards}
    for kind, ci, si, fen in steps:
        c, shop = cards[ci], shops[si]
        if kind == "recharge":
            recharge(owner, shop, c, fen)
            balance[c.pk] += fen
            continue
        fen = min(fen, balance[c.pk])
        if fen <= 0:
            continue
        if kind == "spend":
            spend(owner, shop, c, fen)
        else:
            wallet_refund(
                actor=at(owner, shop),
                card_id=c.pk,
                amount_fen=fen,
                method="cash",
                reason="退",
                idempotency_key=key(),
            )
        balance[c.pk] -= fen
    today = local_today()
    result = settlement_compute(date_from=today - dt.timedelta(days=300), date_to=today)
    assert sum(f.net_fen for f in result.stores.values()) == 0
    assert result.unattributed_fen == 0
    # What each store still holds for members: FIFO layers are not exposed, so check the
    # chain totals: received = spent + refunded + still on cards.
    on_cards = sum(
        Account.objects.filter(kind="principal", card_id__isnull=False).values_list(
            "balance", flat=True
        )
    )
    recharged = sum(f.recharged_fen for f in result.stores.values())
    delivered = sum(f.spent_principal_fen + f.refunded_fen for f in result.stores.values())
    assert recharged == delivered + on_cards


def test_bonus_and_a_reissue_carry_their_store_along(stores, owner, cashier):
    """充500送50 at A; the card is reissued; the new card spends ¥550 at B: A owes B ¥500 of
    principal and ¥50 of bonus (principal first, then bonus)."""
    from huiyuan.cards.services import card_reissue
    from huiyuan.wallet.services import recharge_package_create

    a, b = stores
    c = card(cashier, owner)
    package = recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)
    wallet_recharge(
        actor=at(owner, a),
        card_id=c.pk,
        amount_fen=50000,
        method="cash",
        package_id=package.pk,
        idempotency_key=key(),
    )
    new = card_reissue(actor=at(owner, a), card_id=c.pk, idempotency_key=key(), reason="丢失")
    spend(owner, b, new, 55000)
    today = local_today()
    report = settlement_report(actor=owner, date_from=today, date_to=today)
    assert [(p.debtor_id, p.creditor_id, p.principal_fen, p.bonus_fen) for p in report.pairs] == [
        (a.pk, b.pk, 50000, 5000)
    ]
    by_store = {line.store_id: line.figures for line in report.lines}
    assert by_store[b.pk].spent_principal_fen == 50000
    assert by_store[b.pk].spent_bonus_fen == 5000
    assert report.chain_net_fen == 0
