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


def test_the_owner_chooses_coupons_for_the_referrer(client_for, owner, policy):  # noqa: F811
    from huiyuan.referrals.tests.test_coupon_rewards import make_template

    template = make_template(owner)
    client = client_for(Role.OWNER)
    page = client.get("/referrals/").content.decode()
    assert f'<option value="{template.pk}">推荐礼券</option>' in page
    form = {
        "join_points": "10",
        "first_purchase_points": "5",
        "levels": "2",
        "level1_percent": "5",
        "level2_percent": "2",
        "level3_percent": "0",
        "hold_days": "7",
        "join_coupon_template": "987654",
        "first_purchase_coupon_template": "",
    }
    refused = client.post("/referrals/", form)
    assert refused.status_code == 200
    assert ReferralPolicy.current().join_coupon_template_id is None
    saved = client.post("/referrals/", {**form, "join_coupon_template": str(template.pk)})
    assert saved.status_code == 302
    terms = ReferralPolicy.current()
    assert (terms.join_coupon_template_id, terms.first_purchase_coupon_template_id) == (
        template.pk,
        None,
    )


def test_a_manager_pays_released_commission_after_confirming(
    client_for,
    chain,  # noqa: F811
    sell,  # noqa: F811
):
    import datetime as dt

    from huiyuan.ledger.tests.factories import balances
    from huiyuan.referrals.models import ReferralCommission, ReferralPayout
    from huiyuan.referrals.services import commissions_release_run

    sale = sell(chain.cards[3])
    events_dispatch()
    row = ReferralCommission.objects.filter(sale_id=sale.pk, level=1).get()
    assert row.release_on is not None
    commissions_release_run(now=dt.datetime.combine(row.release_on, dt.time(12), dt.UTC))
    member = chain.members[2]
    manager = client_for(Role.STORE_MANAGER)
    listing = manager.get("/referrals/payouts/").content.decode()
    assert f'href="/referrals/payouts/{member.pk}/"' in listing
    assert 'data-testid="owed-total">¥7.00<' in listing  # 丙 ¥5.00 + 乙 ¥2.00
    cashier = client_for(Role.CASHIER)
    assert 'data-testid="pay"' not in cashier.get("/referrals/payouts/").content.decode()
    assert cashier.get(f"/referrals/payouts/{member.pk}/").status_code == 403
    assert cashier.post(f"/referrals/payouts/{member.pk}/", {}).status_code == 403
    confirm = manager.get(f"/referrals/payouts/{member.pk}/").content.decode()
    assert 'data-testid="payout-amount">¥5.00<' in confirm
    assert 'name="expected_fen" value="500"' in confirm
    # A confirmation for another amount is refused and changes nothing.
    wrong = manager.post(
        f"/referrals/payouts/{member.pk}/", {"expected_fen": "400", "idempotency_key": "x1"}
    )
    assert wrong.status_code == 302
    assert balances(chain.cards[2])["bonus"] == 0
    assert ReferralPayout.objects.count() == 0
    done = manager.post(
        f"/referrals/payouts/{member.pk}/", {"expected_fen": "500", "idempotency_key": "k1"}
    )
    assert done.status_code == 302 and done["Location"] == "/referrals/payouts/"
    again = manager.post(
        f"/referrals/payouts/{member.pk}/",
        {"expected_fen": "500", "idempotency_key": "k1"},
        follow=True,
    )
    assert again.status_code == 200
    twice = manager.post(
        f"/referrals/payouts/{member.pk}/",
        {"expected_fen": "500", "idempotency_key": "k2"},
        follow=True,
    ).content.decode()
    assert "没有应发放给该会员的已解冻佣金。" in twice
    assert balances(chain.cards[2])["bonus"] == 500
    assert ReferralPayout.objects.count() == 1
    listing = manager.get("/referrals/payouts/").content.decode()
    assert 'data-testid="owed-total">¥2.00<' in listing
    member_page = manager.get(f"/members/{member.pk}/").content.decode()
    assert 'data-testid="commission-paid">¥5.00<' in member_page
