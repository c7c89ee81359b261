"""Segments in the browser: the live count while editing a filter, the saved segment's
members, the RFM overview and the predictions page."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from playwright.sync_api import expect

from huiyuan.checkout.models import Sale
from huiyuan.core import clock
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput, member_register
from huiyuan.segments.models import HistorySale
from huiyuan.segments.services import profiles_refresh
from tests.e2e.test_counter_money import PASSWORD, log_in

pytestmark = pytest.mark.e2e

NAMES = "王芳 李娜 张伟 刘洋 陈静 杨帆 赵磊 黄丽 周婷 吴昊 徐明 孙悦 马超 朱琳 胡军 郭敏".split()
ITEMS = [
    ("拿铁", "coffee"),
    ("美式", "coffee"),
    ("可颂", "bakery"),
    ("贝果", "bakery"),
    ("柠檬茶", "tea"),
    ("奶茶", "tea"),
    ("三明治", "bakery"),
]


@pytest.fixture
def chain(staff, actors, stores):
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    rng = random.Random(3)
    owner = actors["owner"]
    today = clock.local_today()
    number = 0
    for i in range(48):
        member = member_register(
            actor=owner,
            data=MemberInput(
                name=NAMES[i % len(NAMES)] + ("" if i < 16 else str(i)),
                mobile=f"1390000{i:04d}",
                gender="F" if i % 3 else "M",
                birthday=dt.date(1980 + i % 25, 1 + i % 12, 1 + i % 27),
                region="浙江杭州" if i % 2 else "上海",
            ),
            channel="store",
            store_id=stores[i % 2].pk,
        )
        rate = rng.choice([0.5, 2, 6, 12])
        day = today - dt.timedelta(days=rng.randint(0, 400))
        while day <= today:
            number += 1
            fen = rng.randint(20, 300) * 100
            Sale.objects.create(
                number=f"E{number:06d}",
                member=member,
                store=member.home_store,
                category=rng.choice(["coffee", "tea", "bakery"]),
                amount_fen=fen,
                payable_fen=fen,
                paid_external_fen=fen,
                created_at=clock.local_day_start(day) + dt.timedelta(hours=rng.randint(8, 21)),
            )
            day += dt.timedelta(days=max(1, int(rng.expovariate(rate / 30) + 1)))
            if rng.random() < 0.05:
                break
        for k in range(rng.randint(0, 3)):
            basket = rng.sample(ITEMS[:3] if rng.random() < 0.6 else ITEMS, 2)
            HistorySale.objects.create(
                member=member,
                occurred_on=today - dt.timedelta(days=500 + k * 30),
                amount_fen=4200,
                fingerprint=f"e2e-{i}-{k}",
                items=[{"name": n, "category": c} for n, c in basket],
            )
    profiles_refresh(actor=owner)
    return {"owner": owner}


def test_segments_in_the_browser(page, chain, shot) -> None:
    page.request.get("/login/", timeout=90_000)
    log_in(page, "marketer")
    page.goto("/segments/new/")
    count = page.locator('[data-testid="live-count-number"]')
    expect(count).to_have_text(str(Member.objects.count()))
    page.fill("#id_name", "杭州女性常客")
    page.locator('label:has(input[name="genders"][value="F"])').click()
    page.fill("#id_regions", "杭州")
    expected = Member.objects.filter(gender="F", region__contains="杭州").count()
    expect(count).to_have_text(str(expected))
    shot(page, "segment-editor")
    page.click('[data-testid="segment-save"]')
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="segment-total"]')).to_have_text(str(expected))
    shot(page, "segment-detail")
    page.goto("/segments/")
    expect(
        page.locator('[data-segment="杭州女性常客"] [data-testid="segment-count"]')
    ).to_have_text(str(expected))
    shot(page, "segment-list")
    page.goto("/segments/rfm/")
    expect(page.locator('[data-testid="rfm-members"]')).to_have_text("48")
    shot(page, "segment-rfm")
    page.goto("/segments/predictions/")
    expect(page.locator('[data-testid="model-params"]')).to_be_visible()
    shot(page, "segment-predictions")
