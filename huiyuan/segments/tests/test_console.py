"""Segment console pages: list, editor with its live count, detail, RFM, predictions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from huiyuan.core import clock
from huiyuan.core.permissions import Role
from huiyuan.segments.models import RfmSettings, Segment
from huiyuan.segments.services import profiles_rebuild

pytestmark = pytest.mark.django_db


def client_for(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def test_editor_counts_live_and_saves(staff, make_member, stores):
    make_member("甲", gender="F")
    make_member("乙", gender="M")
    make_member("丙", gender="F", store=stores[1])
    web = client_for(staff[Role.MARKETER])
    page = web.get("/segments/new/")
    assert page.status_code == 200
    assert 'data-testid="live-count-number">3<' in page.content.decode()
    fragment = web.get("/segments/count/", {"genders": ["F"]}, HTTP_HX_REQUEST="true")
    assert 'data-testid="live-count-number">2<' in fragment.content.decode()
    bad = web.get("/segments/count/", {"age_min": "-3"})
    assert "live-count-number" not in bad.content.decode()
    saved = web.post("/segments/new/", {"name": "女会员", "genders": ["F"], "spend_min": ""})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    segment = Segment.objects.get()
    assert segment.definition == {"genders": ["F"]}
    detail = web.get(f"/segments/{segment.pk}/").content.decode()
    assert 'data-testid="segment-total">2<' in detail and "甲" in detail
    listing = web.get("/segments/").content.decode()
    assert "女会员" in listing and 'data-testid="segment-count">2<' in listing
    # A store manager's view of the same chain-wide segment: only its store.
    manager = client_for(staff[Role.STORE_MANAGER])
    mine = manager.get(f"/segments/{segment.pk}/").content.decode()
    assert 'data-testid="segment-total">1<' in mine and "丙" not in mine


def test_cashier_is_refused_and_sees_no_entry(staff):
    cashier = client_for(staff[Role.CASHIER])
    assert cashier.get("/segments/").status_code == 403
    assert cashier.get("/segments/count/").status_code == 403
    assert 'data-testid="nav-segments"' not in cashier.get("/members/").content.decode()
    marketer = client_for(staff[Role.MARKETER])
    assert 'data-testid="nav-segments"' in marketer.get("/members/").content.decode()


def test_rfm_and_predictions_pages(staff, make_member):
    from huiyuan.checkout.models import Sale

    today = clock.local_today()
    for i in range(22):
        member = make_member(f"会员{i}")
        for k in range(i % 4 + 1):
            Sale.objects.create(
                number=f"C{i:03d}{k}",
                member=member,
                store_id=member.home_store_id,
                amount_fen=5000 + i * 100,
                payable_fen=5000 + i * 100,
                paid_external_fen=5000 + i * 100,
                created_at=clock.local_day_start(today - dt.timedelta(days=10 * k + i)),
            )
    profiles_rebuild()
    web = client_for(staff[Role.HQ_ADMIN])
    rfm = web.get("/segments/rfm/").content.decode()
    assert 'data-testid="rfm-members">22<' in rfm
    saved = web.post(
        "/segments/rfm/",
        {
            "window_days": 365,
            "recent_days": 30,
            "frequent_count": 2,
            "valuable": "100",
            "loyal_count": 4,
            "big_spender": "200",
            "at_risk_days": 60,
            "lost_days": 180,
        },
    )
    assert saved.status_code == 302
    assert RfmSettings.objects.get().recent_days == 30
    refused = web.post(
        "/segments/rfm/",
        {
            "window_days": 30,
            "recent_days": 60,
            "frequent_count": 2,
            "valuable": "100",
            "loyal_count": 4,
            "big_spender": "200",
            "at_risk_days": 60,
            "lost_days": 180,
        },
    )
    assert refused.status_code == 200 and RfmSettings.objects.get().window_days == 365
    pred = web.get("/segments/predictions/").content.decode()
    assert 'data-testid="model-params"' in pred and "prediction-table" in pred
