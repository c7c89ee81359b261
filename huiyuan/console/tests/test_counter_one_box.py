"""The counter's one box: whatever is typed or scanned — card number, mobile (also +86 and
spaces), last four digits, member number (also its first digits), name (also the given
name alone), initials or pinyin — ends in a card, a choice of members, an offer to issue a
card, or an offer to register the mobile; never in a bare "not found" when there is more
to say."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from huiyuan.console.counter.choices import scan_choices
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card, card_type
from huiyuan.members import selectors

pytestmark = pytest.mark.django_db

NOT_FOUND = "没有找到"


@pytest.fixture
def two_jjh(cashier, owner, make_member):
    """金家辉 and 金嘉慧: both "jjh", each with a card."""
    ctype = card_type(owner)
    a = make_member(name="金家辉", mobile="13800000001")
    b = make_member(name="金嘉慧", mobile="13800000002")
    return (
        (a, card(cashier, owner, ctype=ctype, holder=a)),
        (b, card(cashier, owner, ctype=ctype, holder=b)),
    )


def offers(html: str) -> str:
    match = re.search(r'data-testid="scan-offers".*?</div>\s*</div>', html, re.S)
    return match.group(0) if match else ""


def test_initials_matching_two_members_offer_both(cashier_client: Client, two_jjh):
    html = cashier_client.get("/counter/recharge/?card=jjh").content.decode()
    block = offers(html)
    assert "2 members match" in block or "找到 2 位会员" in block
    for member, c in two_jjh:
        assert member.name in block and c.number in block
    assert NOT_FOUND not in html
    assert 'data-testid="card-panel"' not in html

    # Picking one opens that card's page.
    (_, c), _ = two_jjh
    picked = cashier_client.get(f"/counter/recharge/?card={c.number}").content.decode()
    assert f'data-card="{c.number}"' in picked


def test_a_member_without_a_card_is_offered_one(cashier_client: Client, make_member):
    member = make_member(name="张三丰", mobile="13812345678")
    html = cashier_client.get("/counter/recharge/?card=13812345678").content.decode()
    assert 'data-testid="scan-no-card"' in html
    assert f'href="/members/{member.pk}/cards/new/"' in html
    assert "张三丰" in html and "还没有卡" in html
    assert NOT_FOUND not in html


def test_an_unknown_mobile_is_offered_registration_prefilled(cashier_client: Client):
    html = cashier_client.get("/counter/recharge/?card=%2B86 139 0000 1111").content.decode()
    assert 'data-testid="scan-new-mobile"' in html
    assert 'href="/members/new/?mobile=13900001111"' in html
    form = cashier_client.get("/members/new/?mobile=13900001111").content.decode()
    assert re.search(r'name="mobile"[^>]*value="13900001111"', form)


def test_nothing_to_offer_still_says_not_found(cashier_client: Client):
    html = cashier_client.get("/counter/recharge/?card=zzzz").content.decode()
    assert 'data-testid="scan-error"' in html and NOT_FOUND in html
    assert 'data-testid="scan-offers"' not in html


def test_a_mobile_with_country_code_and_spaces_opens_the_card(cashier_client: Client, two_jjh):
    (_, c), _ = two_jjh
    html = cashier_client.get("/counter/recharge/?card=%2B86 138 0000 0001").content.decode()
    assert f'data-card="{c.number}"' in html


def test_who_may_not_issue_cards_is_not_offered_to(actors, make_member):
    member = make_member(name="李四", mobile="13812340000")
    offer = scan_choices(actors[Role.CALL_CENTER], "13812340000")  # views, may not issue
    assert offer is not None and offer.without_card.pk == member.pk
    assert offer.can_issue is False
    assert scan_choices(actors[Role.CASHIER], "13812340000").can_issue is True


@pytest.mark.parametrize(
    "typed",
    [
        "card",  # the card number
        "+86 138 0000 0001",
        "0086-138-0000-0001",
        "0001",  # last four digits of the mobile
        "code",  # the member number
        "code6",  # its first six digits
        "金家辉",
        "家辉",  # the given name alone
        "jjh",
        "jinjiahui",
    ],
)
def test_the_selector_finds_the_member_by_any_key(cashier, two_jjh, typed):
    (member, c), (other, _) = two_jjh
    query = {"card": c.number, "code": member.code, "code6": member.code[:6]}.get(typed, typed)
    found = selectors.member_lookup(actor=cashier, query=query, limit=10)
    assert member.pk in [m.pk for m in found]
    if typed in ("card", "+86 138 0000 0001", "0086-138-0000-0001", "code", "金家辉", "家辉"):
        assert other.pk not in [m.pk for m in found]
