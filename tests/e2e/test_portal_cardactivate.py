"""The member portal on a phone (390×844): activate a gift card (卡密) received from a
company — a wrong code is refused in Chinese, the right one binds the card to the member,
whose card page then shows its balance; the page never scrolls sideways."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from huiyuan.cards import services as card_services
from huiyuan.cards.batch_export import card_batch_export
from huiyuan.cards.batches import BatchInput, card_batch_create, card_batch_sell
from huiyuan.cards.models import Card
from huiyuan.selfservice import services
from tests.e2e.test_counter_money import log_in, shop  # noqa: F401 - fixture
from tests.e2e.test_portal import phone
from tests.e2e.test_portal_recharge import sign_in

pytestmark = pytest.mark.e2e


def test_activate_a_gift_card_in_the_portal(browser, live_server, shop, stores, shot) -> None:  # noqa: F811
    owner, member = shop["owner"], shop["member"]
    gift = card_services.card_type_create(
        actor=owner, code="gift", name="礼品卡", category="multi", anonymous=True
    )
    batch = card_batch_create(
        actor=owner,
        data=BatchInput(
            card_type_id=gift.pk,
            count=2,
            face_value_fen=30_000,
            store_id=stores[0].pk,
            buyer_company="华夏科技有限公司",
            buyer_contact="李经理 13912345678",
        ),
        idempotency_key=uuid.uuid4().hex,
    )
    card_batch_sell(
        actor=owner, batch_id=batch.pk, method="enterprise", idempotency_key=uuid.uuid4().hex
    )
    number, code = sorted(
        (r.number, r.code)
        for r in card_batch_export(actor=owner, batch_id=batch.pk, fmt="xlsx").rows
    )[0]
    services._set_password(member.pk, "Member-pass-2026")
    m = phone(browser, live_server)
    sign_in(m)

    m.goto("/m/me/")
    m.click("text=激活礼品卡")
    m.wait_for_load_state("load")
    expect(m.locator(".pt-top-title")).to_have_text("激活礼品卡")

    # a wrong code: refused in Chinese with the attempts left; the card stays pending
    m.fill('[data-testid="activate-number"]', number)
    m.fill('[data-testid="activate-code"]', "WRONG-CODE")
    m.click('[data-testid="activate-submit"]')
    m.wait_for_load_state("load")
    expect(m.locator('[data-testid="activate-error"]')).to_have_text(
        "卡号或卡密不正确（再错 4 次将锁定激活 15 分钟）。"
    )
    expect(m.locator('[data-testid="activate-number"]')).to_have_value(number)
    assert m.evaluate("document.documentElement.scrollWidth") <= 390
    shot(m, "portal-cardactivate-wrong")
    assert Card.objects.get(number=number).status == Card.Status.PENDING

    # the right code: the card is the member's, with its ¥300.00
    m.fill('[data-testid="activate-code"]', code)
    m.click('[data-testid="activate-submit"]')
    m.wait_for_load_state("load")
    expect(m.locator("body")).to_contain_text(f"卡 {number} 已激活，现在归您所有。")
    expect(m.locator("body")).to_contain_text("¥300.00")
    shot(m, "portal-cardactivate-done")
    card = Card.objects.get(number=number)
    assert (card.status, card.member_id) == (Card.Status.ACTIVE, member.pk)
