"""The member's referral section: the code, the joining link (signed, naming the member as
referrer) with its QR code, and what the referrals brought."""

from __future__ import annotations

import re

import pytest

from huiyuan.members.services import MemberInput, member_register
from huiyuan.referrals.models import ReferralPolicy
from huiyuan.selfservice.joinlink import join_link_read

pytestmark = pytest.mark.django_db


def test_the_member_sees_their_code_link_qr_and_referees(member_client, cashier):
    client, member, _card = member_client
    policy = ReferralPolicy.current()
    policy.join_points = 50
    policy.save()
    member_register(
        actor=cashier,
        data=MemberInput(name="好友甲", mobile="13900000001", referrer_code=member.code),
        channel="store",
    )
    me = client.get("/m/me/").content.decode()
    assert 'href="/m/referral/"' in me

    html = client.get("/m/referral/").content.decode()
    assert f'data-testid="referral-code">{member.code}<' in html
    assert 'data-testid="referral-count">1<' in html
    assert "<svg" in html and "pt-code-qr" in html
    link = re.search(r'data-testid="referral-link">([^<]+)<', html).group(1)
    token = link.split("?t=", 1)[1]
    assert join_link_read(token).referrer_code == member.code
    assert "50" in html  # what a friend's joining brings


def test_signed_out_goes_to_sign_in(client):
    response = client.get("/m/referral/")
    assert response.status_code == 302 and "/m/signin/" in response["Location"]
