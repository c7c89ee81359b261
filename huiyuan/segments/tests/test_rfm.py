"""RFM classes and labels at their boundaries, computed from sales net of returns and
reversals and from imported history."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.checkout.models import Sale
from huiyuan.segments.models import HistorySale, MemberProfile, RfmClass
from huiyuan.segments.selectors import rfm_settings_get, rfm_summary
from huiyuan.segments.services import Agg, profiles_rebuild, rfm_classify

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def agg(last_days_ago: int, purchases: int, spend_fen: int) -> Agg:
    last = TODAY - dt.timedelta(days=last_days_ago)
    return Agg(
        first=last,
        last=last,
        purchases=purchases,
        spend_fen=spend_fen,
        window_purchases=purchases,
        window_spend_fen=spend_fen,
    )


@pytest.mark.parametrize(
    ("days", "purchases", "spend", "expected"),
    [
        (89, 3, 100000, RfmClass.IMPORTANT_VALUE),  # every bound met exactly
        (90, 3, 100000, RfmClass.IMPORTANT_KEEP),  # 90 days ago is no longer recent
        (89, 2, 100000, RfmClass.IMPORTANT_DEVELOP),
        (90, 2, 100000, RfmClass.IMPORTANT_WINBACK),
        (89, 3, 99999, RfmClass.GENERAL_VALUE),
        (0, 1, 99999, RfmClass.GENERAL_DEVELOP),
        (200, 5, 5000, RfmClass.GENERAL_KEEP),
        (400, 1, 100, RfmClass.GENERAL_WINBACK),
    ],
)
def test_rfm_class_boundaries(days, purchases, spend, expected):
    settings = rfm_settings_get()  # 90 days, 3 purchases, ¥1000
    assert rfm_classify(agg(days, purchases, spend), settings, TODAY).rfm_class == expected


def test_labels_at_their_bounds():
    s = rfm_settings_get()  # loyal ≥ 6, big ≥ ¥5000, at risk 120–364 days, lost ≥ 365
    assert rfm_classify(agg(10, 6, 1), s, TODAY).loyal
    assert not rfm_classify(agg(10, 5, 1), s, TODAY).loyal
    assert not rfm_classify(agg(90, 6, 1), s, TODAY).loyal  # not recent
    assert rfm_classify(agg(10, 1, 500000), s, TODAY).big_spender
    assert not rfm_classify(agg(10, 1, 499999), s, TODAY).big_spender
    assert rfm_classify(agg(120, 3, 1), s, TODAY).at_risk
    assert not rfm_classify(agg(119, 3, 1), s, TODAY).at_risk
    assert not rfm_classify(agg(120, 2, 1), s, TODAY).at_risk  # was never frequent
    c = rfm_classify(agg(365, 3, 1), s, TODAY)
    assert c.lost and not c.at_risk
    assert not rfm_classify(agg(364, 3, 1), s, TODAY).lost


def test_profiles_net_of_returns_and_reversals(make_member, make_sale, owner):
    member = make_member()
    make_sale(member, 60000, TODAY - dt.timedelta(days=3), hour=19, category="drinks")
    make_sale(member, 50000, TODAY - dt.timedelta(days=10), hour=19, returned_fen=20000)
    make_sale(member, 90000, TODAY - dt.timedelta(days=5), status=Sale.Status.REVERSED)
    make_sale(member, 40000, TODAY - dt.timedelta(days=1), status=Sale.Status.RETURNED)
    HistorySale.objects.create(
        member=member,
        occurred_on=TODAY - dt.timedelta(days=400),
        amount_fen=15000,
        fingerprint="h1",
    )
    profiles_rebuild(today=TODAY)
    p = MemberProfile.objects.get(member=member)
    assert (p.purchases, p.spend_fen) == (3, 60000 + 30000 + 15000)
    assert (p.window_purchases, p.window_spend_fen) == (2, 90000)
    assert p.last_on == TODAY - dt.timedelta(days=3)
    assert p.first_on == TODAY - dt.timedelta(days=400)
    assert p.recency_days == 3
    assert p.rfm_class == RfmClass.GENERAL_DEVELOP  # 2 purchases, ¥900 in the window
    assert p.hour == 19 and p.category == "drinks"
    assert p.p_alive is None  # too few members for a fit
    summary = rfm_summary(actor=owner)
    assert summary.members == 1
    assert {r.rfm_class: r.members for r in summary.rows}[RfmClass.GENERAL_DEVELOP] == 1


def test_rfm_summary_in_store_scope(make_member, make_sale, stores, actors):
    from huiyuan.core.permissions import Role

    here = make_member(store=stores[0])
    there = make_member(store=stores[1])
    make_sale(here, 1000, TODAY)
    make_sale(there, 1000, TODAY)
    profiles_rebuild(today=TODAY)
    assert rfm_summary(actor=actors[Role.OWNER]).members == 2
    assert rfm_summary(actor=actors[Role.STORE_MANAGER]).members == 1
