"""The counter accepts the member's rotating code wherever it looks a card up."""

from __future__ import annotations

import pytest

from huiyuan.console.counter.panel import find_card
from huiyuan.ledger.tests.factories import card
from huiyuan.selfservice.cardcode import card_code_now

pytestmark = pytest.mark.django_db


def test_the_counter_finds_the_card_by_its_code(cashier, owner):
    c = card(cashier, owner)
    found = find_card(cashier, card_code_now(c.pk))
    assert found is not None and found.card.pk == c.pk
    stale = card_code_now(c.pk, at=1_000_000_000.0)
    assert find_card(cashier, stale) is None


def test_the_counter_scan_page_opens_the_card(client, staff, cashier, owner):
    from huiyuan.core.permissions import Role

    c = card(cashier, owner)
    client.force_login(staff[Role.CASHIER])
    page = client.post("/counter/", {"q": card_code_now(c.pk)}).content.decode()
    assert c.number in page


def test_an_expired_code_says_what_to_do(client, staff, cashier, owner):
    from huiyuan.core.permissions import Role

    c = card(cashier, owner)
    client.force_login(staff[Role.CASHIER])
    page = client.post("/counter/", {"q": card_code_now(c.pk, at=1_000_000_000.0)})
    assert "会员码已过期" in page.content.decode()
