"""Available bonus and points: lots past their expiry but not swept yet do not count."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from huiyuan.cards import selectors
from huiyuan.core.permissions import Role
from huiyuan.ledger.models import Lot
from huiyuan.ledger.tests.factories import card, key
from huiyuan.points.services import points_adjust
from huiyuan.wallet.services import recharge_package_create, wallet_recharge


def test_available_subtracts_every_expired_lot(owner, cashier, actors):
    c = card(cashier, owner)
    package = recharge_package_create(
        actor=owner, name="充100送10", pay_fen=10_000, bonus_fen=1_000
    )
    for _ in range(3):
        wallet_recharge(
            actor=cashier,
            card_id=c.pk,
            amount_fen=10_000,
            method="cash",
            package_id=package.pk,
            idempotency_key=key(),
        )
    for delta in (100, 200, 400):
        points_adjust(actor=owner, card_id=c.pk, delta=delta, reason="活动", idempotency_key=key())
    # Two lots of each kind are past their expiry; the sweep has not run yet.
    past = timezone.now() - dt.timedelta(minutes=1)
    for kind in ("bonus", "points"):
        lots = Lot.objects.filter(account__card_id=c.pk, account__kind=kind).order_by("pk")
        Lot.objects.filter(pk__in=[lot.pk for lot in lots[:2]]).update(expires_at=past)
    b = selectors.card_get(actor=actors[Role.CASHIER], card_id=c.pk)
    assert b is not None
    assert (b.bonus, b.bonus_available) == (3_000, 1_000)
    assert (b.points, b.points_available) == (700, 400)
    [listed] = selectors.member_cards(actor=actors[Role.CASHIER], member=c.member)
    assert (listed.bonus_available, listed.points_available) == (1_000, 400)
