"""Demo money: cards, recharges and sales through the services, idempotent, ledger exact."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.cards.models import Card
from huiyuan.checkout.models import Sale
from huiyuan.demo.loader import load_demo
from huiyuan.demo.money import load_cards_and_sales, load_money_settings
from huiyuan.ledger.models import Entry
from huiyuan.ledger.verify import verify_ledger


@pytest.mark.django_db
def test_demo_money_is_real_and_idempotent():
    result = load_demo(members=60, cardholders=0)
    load_money_settings(result.org)
    issued = load_cards_and_sales(result.org, cardholders=30)
    assert issued == Card.objects.count() > 20
    assert Sale.objects.exists()
    # The earn rule was in force from before the first store opened: the history earned.
    earned = Sale.objects.filter(points_earned__gt=0)
    assert earned.count() > Sale.objects.count() // 2
    assert earned.order_by("created_at").first().created_at < Sale.objects.latest(
        "created_at"
    ).created_at - dt.timedelta(days=180)
    counts = (Card.objects.count(), Sale.objects.count(), Entry.objects.count())
    load_money_settings(result.org)
    assert load_cards_and_sales(result.org, cardholders=30) == 0
    assert (Card.objects.count(), Sale.objects.count(), Entry.objects.count()) == counts
    report = verify_ledger()
    assert report.ok, report.problems
