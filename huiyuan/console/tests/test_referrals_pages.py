"""Console pages of referrals: the terms (levels capped, warned above 2), the commission
list, the member page's block with the code, link and QR."""

from __future__ import annotations

import pytest

from huiyuan.core.permissions import Role
from huiyuan.events.dispatch import events_dispatch
from huiyuan.referrals.models import ReferralPolicy
from huiyuan.referrals.tests.conftest import (  # noqa: F401 - fixtures
    chain,
    policy,
    product,
    sell,
)

pytestmark = pytest.mark.django_db


def test_the_page_lists_commission_and_the_owner_edits_the_terms(client_for, chain, sell):  # noqa: F811
    events_dispatch()
    sell(chain.cards[3])
    events_dispatch()
    cashier = client_for(Role.CASHIER)
    page = cashier.get("/referrals/").content.decode()
    assert 'data-testid="commissions"' in page and "丙" in page
    assert 'data-testid="save-policy"' not in page
    assert cashier.post("/referrals/", {"levels": "1"}).status_code == 403
    owner = client_for(Role.OWNER)
    form = {
        "join_points": "10",
        "first_purchase_points": "5",
        "levels": "4",
        "level1_percent": "5",
        "level2_percent": "2",
        "level3_percent": "1",
        "hold_days": "7",
    }
    refused = owner.post("/referrals/", form)
    assert refused.status_code == 200
    assert ReferralPolicy.current().levels == 2
    saved = owner.post("/referrals/", {**form, "levels": "3"})
    assert saved.status_code == 302
    terms = ReferralPolicy.current()
    assert (terms.levels, terms.level1_bp, terms.join_points) == (3, 500, 10)
    assert 'data-testid="pyramid-warning"' in owner.get("/referrals/").content.decode()


def test_the_member_page_shows_code_link_and_qr(client_for, chain):  # noqa: F811
    page = client_for(Role.CASHIER).get(f"/members/{chain.members[1].pk}/").content.decode()
    assert 'data-testid="member-referral"' in page
    assert chain.members[1].code in page
    assert 'data-testid="referral-qr"' in page and "/m/join/?t=" in page
