"""Fixtures of the portal tests: members with cards, and a client signed in as one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from huiyuan.cards.models import Card
from huiyuan.ledger.tests.factories import card, member
from huiyuan.members.models import Member
from huiyuan.portal.auth import SESSION_HASH, SESSION_MEMBER, _credential_hash


@pytest.fixture
def member_with_card(cashier, owner) -> Callable[..., tuple[Member, Card]]:
    def make(name: str = "王小明") -> tuple[Member, Card]:
        m = member(cashier, name=name)
        return m, card(cashier, owner, holder=m)

    return make


def sign_in(client: Client, m: Member) -> Client:
    session = client.session
    session[SESSION_MEMBER] = m.pk
    session[SESSION_HASH] = _credential_hash(m.pk)
    session.save()
    return client


@pytest.fixture
def member_client(member_with_card) -> tuple[Client, Member, Card]:
    m, c = member_with_card()
    return sign_in(Client(), m), m, c
