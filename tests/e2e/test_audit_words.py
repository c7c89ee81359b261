"""The audit log and the member history in a browser: business words and yuan, 25 events
a page, a manager's action filter limited to their stores (issue 17 §7, §14)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from huiyuan.cards.services import card_report_lost
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.permissions import Role
from huiyuan.members.services import member_freeze
from huiyuan.wallet.services import wallet_recharge
from tests.e2e.test_counter_money import log_in, shop  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e


def test_audit_page_and_member_history_read_in_words(page, shop, actors, shot) -> None:  # noqa: F811
    cashier, member, card = shop["cashier"], shop["member"], shop["card"]
    wallet_recharge(
        actor=cashier,
        card_id=card.pk,
        amount_fen=50_000,
        method="cash",
        idempotency_key=uuid.uuid4().hex,
    )
    sale_quick(
        actor=cashier,
        data=QuickSaleInput(card_id=card.pk, amount_fen=12_800, balance_fen=12_800),
        idempotency_key=uuid.uuid4().hex,
    )
    member_freeze(
        actor=actors[Role.STORE_MANAGER],
        member_id=member.pk,
        earning=True,
        spending=False,
        reason="核查",
    )
    card_report_lost(actor=cashier, card_id=card.pk, reason="顾客遗失")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.request.get("/login/", timeout=90_000)  # the live server's first answer is slow
    log_in(page)
    page.goto("/audit/")
    expect(page.locator(".page-title")).to_have_text("审计日志")
    table = page.locator(".hy-audit-table")
    expect(table).to_contain_text("挂失")
    expect(table).to_contain_text("正常")
    expect(table).to_contain_text("已挂失")
    expect(table).to_contain_text("应付金额")
    expect(table).to_contain_text("¥128.00")
    expect(table).to_contain_text("¥500.00")
    body = table.inner_text()
    for raw in ("card.reported_lost", "sale.completed", "payable", "principal", "12800", "lost\n"):
        assert raw not in body, raw
    # the manager's filter offers only actions recorded at their store, in words
    options = page.locator("#id_action option").all_inner_texts()
    assert "挂失" in options and "新建门店" not in options
    shot(page, "audit-words")

    page.goto(f"/members/{member.pk}/")
    history = page.locator('[data-testid="history"]')
    expect(history).to_contain_text("已挂失")
    expect(history).to_contain_text("¥500.00")
    assert "lost" not in history.inner_text()
    history.scroll_into_view_if_needed()
    shot(page, "member-history-words")
