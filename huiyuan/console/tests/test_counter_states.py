# ruff: noqa: F811 - the fixtures imported from test_counter_money are arguments here
"""Issue 17 §2, §4, §13 at the counter: the card's and member's state shows before anything
is submitted (one status badge; the buttons it blocks disabled with the reason, the server
still refusing), the quick sale's quote counts no points above the cap and shows an
overpayment as such, Enter without a payment method asks which one, and a head-office user
working across all stores picks a store before a counter form."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from huiyuan.cards import services as card_services
from huiyuan.cards.models import Card
from huiyuan.checkout.models import Sale
from huiyuan.console.tests.test_counter_money import (  # noqa: F401 - fixtures
    funded,
    package,
    page_key,
    plain,
    state,
)
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances
from huiyuan.members.services import member_cancel, member_freeze

pytestmark = pytest.mark.django_db


def badges(html: str) -> list[str]:
    """The text of every status badge on the page."""
    found = re.findall(r'data-testid="card-status">(.*?)</span>', html, re.S)
    return [re.sub(r"<[^>]+>", "", b).strip() for b in found]


def blocked_reasons(html: str) -> list[str]:
    found = re.findall(r'data-testid="blocked-reason">(.*?)</(?:div|span)>', html, re.S)
    return [re.sub(r"<[^>]+>", "", b).strip() for b in found]


def input_tag(html: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', html, re.S).group(0)


def submit_tag(html: str) -> str:
    return re.search(r'<button type="submit"[^>]*data-testid="submit"[^>]*>', html, re.S).group(0)


SPEND_FROZEN = "消费已冻结：不能用储值和积分支付。"
LOST = "此卡已挂失：请先解挂或补卡。"


# ------------------------------------------------------------------------------ §2 states


def test_a_spend_frozen_member_disables_card_payment_with_the_reason(cashier_client, funded, owner):
    member_freeze(
        actor=owner, member_id=funded.member_id, earning=False, spending=True, reason="风控"
    )
    html = cashier_client.get(f"/counter/sale/?q={funded.number}").content.decode()
    assert badges(html) == ["已冻结（消费）"]
    assert "disabled" in input_tag(html, "points") and "disabled" in input_tag(html, "balance")
    assert blocked_reasons(html) == [SPEND_FROZEN, SPEND_FROZEN]
    assert "disabled" not in submit_tag(html)  # cash still pays
    quote = cashier_client.get(
        "/counter/sale/quote/", {"card": funded.number, "amount": "100"}
    ).content.decode()
    assert 'data-testid="fill-points"' not in quote and 'data-testid="fill-balance"' not in quote
    # The server still refuses stored value (the field is disabled, not trusted).
    before = state(funded)
    refused = cashier_client.post(
        "/counter/sale/",
        {
            "idempotency_key": page_key(html),
            "card": funded.number,
            "amount": "100",
            "balance": "10",
            "external_method": "cash",
        },
    )
    assert refused.status_code == 200
    assert "该会员已冻结消费。" in refused.content.decode()
    assert state(funded) == before


def test_an_earn_frozen_member_shows_which_side_and_blocks_supplementary_points(
    cashier_client, funded, owner
):
    member_freeze(
        actor=owner, member_id=funded.member_id, earning=True, spending=False, reason="核查"
    )
    html = cashier_client.get(f"/counter/supplement/?card={funded.number}").content.decode()
    assert badges(html) == ["已冻结（积分）"]
    assert "disabled" in submit_tag(html)
    assert blocked_reasons(html) == ["积分已冻结：不能补积分。"]
    hub = cashier_client.get(f"/counter/?q={funded.number}").content.decode()
    assert 'data-testid="tile-sale"' in hub and 'data-testid="tile-supplement" data-blocked' in hub


def test_a_lost_card_disables_the_sale_and_the_server_still_refuses(
    cashier_client, funded, cashier
):
    card_services.card_report_lost(actor=cashier, card_id=funded.pk, reason="顾客来电")
    html = cashier_client.get(f"/counter/sale/?q={funded.number}").content.decode()
    assert badges(html) == ["已挂失"]
    assert "disabled" in submit_tag(html)
    assert LOST in blocked_reasons(html)
    basket = cashier_client.get(f"/counter/basket/?q={funded.number}").content.decode()
    assert re.search(r'data-testid="complete" disabled', basket)
    hub = cashier_client.get(f"/counter/?q={funded.number}").content.decode()
    tiles = dict(re.findall(r'data-testid="(tile-[a-z]+)"( data-blocked="1")?', hub))
    assert tiles == {
        "tile-basket": ' data-blocked="1"',
        "tile-sale": ' data-blocked="1"',
        "tile-recharge": ' data-blocked="1"',
        "tile-supplement": ' data-blocked="1"',
        "tile-refund": "",  # a lost card's stored value may be refunded (manager's authorisation)
    }
    before = state(funded)
    refused = cashier_client.post(
        "/counter/sale/",
        {
            "idempotency_key": page_key(html),
            "card": funded.number,
            "amount": "10",
            "external_method": "cash",
        },
    )
    assert "此卡已挂失" in refused.content.decode()
    assert state(funded) == before


def test_a_cancelled_member_blocks_sale_and_recharge(cashier_client, plain, owner):
    member_cancel(actor=owner, member_id=plain.member_id, reason="本人申请")
    reason = "会员已注销：此卡不能使用。"
    sale = cashier_client.get(f"/counter/sale/?q={plain.number}").content.decode()
    assert badges(sale) == ["会员已注销"]
    assert "disabled" in submit_tag(sale) and reason in blocked_reasons(sale)
    recharge = cashier_client.get(f"/counter/recharge/?card={plain.number}").content.decode()
    assert "disabled" in submit_tag(recharge) and blocked_reasons(recharge) == [reason]
    before = state(plain)
    refused = cashier_client.post(
        "/counter/recharge/",
        {
            "idempotency_key": page_key(recharge),
            "card": plain.number,
            "amount": "100",
            "method": "cash",
        },
    )
    assert "该会员不是正常状态。" in refused.content.decode()
    assert state(plain) == before


def test_an_expired_card_says_so_and_blocks_recharge(cashier_client, plain):
    Card.objects.filter(pk=plain.pk).update(
        expires_at=timezone.make_aware(dt.datetime(2025, 3, 1, 12, 0))
    )
    html = cashier_client.get(f"/counter/recharge/?card={plain.number}").content.decode()
    assert badges(html) == ["已过期"]
    assert blocked_reasons(html) == ["此卡已于 2025-03-01 过期：请先续期。"]


def test_an_active_card_shows_one_normal_badge_and_nothing_blocked(cashier_client, funded):
    html = cashier_client.get(f"/counter/sale/?q={funded.number}").content.decode()
    assert badges(html) == ["正常"]
    assert blocked_reasons(html) == []
    assert "disabled" not in input_tag(html, "points")


def test_the_member_page_shows_one_status_badge_for_a_frozen_member(cashier_client, funded, owner):
    member_freeze(
        actor=owner, member_id=funded.member_id, earning=True, spending=True, reason="风控"
    )
    html = cashier_client.get(f"/members/{funded.member_id}/").content.decode()
    head = html.split('data-testid="member-name"')[1].split("</div>")[0]
    assert "正常" not in head and "已冻结" in head
    assert badges(html) == ["已冻结（积分/消费）"]  # the card, not 正常


# ------------------------------------------------------------------------------- §4 quote


def test_points_above_the_cap_are_not_counted(cashier_client, funded):
    # ¥10 bill: points may pay half (¥5 = 500 points); 800 typed.
    html = cashier_client.get(
        "/counter/sale/quote/", {"card": funded.number, "amount": "10", "points": "800"}
    ).content.decode()
    assert re.search(r'data-testid="quote-points">-¥5\.00<', html)
    assert re.search(r'data-testid="quote-external">¥5\.00<', html)
    cap = re.search(r'data-testid="quote-points-cap">([^<]+)<', html).group(1)
    assert cap == "本单最多可用 500 积分：输入的 800 积分中超出部分不计入。"


def test_an_overpayment_shows_as_overpaid_not_nothing_to_collect(cashier_client, funded):
    html = cashier_client.get(
        "/counter/sale/quote/", {"card": funded.number, "amount": "10", "balance": "12"}
    ).content.decode()
    assert re.search(r'data-testid="quote-overpaid">¥2\.00<', html)
    assert 'data-testid="quote-external"' not in html
    assert "积分和储值比应付金额多 ¥2.00：请减少。" in html


def test_enter_without_a_payment_method_asks_which_one(cashier_client, funded):
    html = cashier_client.get(f"/counter/sale/?q={funded.number}").content.decode()
    assert "checked" not in html.split('name="external_method"')[1].split(">")[0]
    form = {"idempotency_key": page_key(html), "card": funded.number, "amount": "1000"}
    before = state(funded)
    asked = cashier_client.post("/counter/sale/", form)
    page = asked.content.decode()
    assert asked.status_code == 200 and 'data-testid="confirm-method"' in page
    assert "还需收款 ¥1,000.00，尚未选择收款方式。顾客用什么方式付款？" in page
    assert 'data-testid="confirm-cash"' in page and "现金收款 ¥1,000.00" in page
    assert state(funded) == before and Sale.objects.count() == 0
    done = cashier_client.post("/counter/sale/", {**form, "external_method": "cash"})
    sale = Sale.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/sales/{sale.pk}/"
    assert (sale.payable_fen, sale.paid_external_fen, sale.external_method) == (
        100000,
        100000,
        "cash",
    )


def test_a_sale_paid_from_the_card_needs_no_method(cashier_client, funded):
    html = cashier_client.get(f"/counter/sale/?q={funded.number}").content.decode()
    done = cashier_client.post(
        "/counter/sale/",
        {"idempotency_key": page_key(html), "card": funded.number, "amount": "20", "balance": "20"},
    )
    assert done.status_code == 302
    assert balances(funded)["principal"] == 50000 - 2000


# -------------------------------------------------------------------- §13 store picker


def test_head_office_across_all_stores_picks_a_store_first(client_for, stores, funded):
    owner = client_for(Role.OWNER)
    owner.post("/store/", {"store_id": "all", "next": "/counter/sale/"})
    for url in ("/counter/sale/", "/counter/basket/", "/counter/recharge/", "/counter/refund/"):
        html = owner.get(url).content.decode()
        assert 'data-testid="store-picker"' in html, url
        assert 'id="sale-form"' not in html and 'data-testid="recharge-form"' not in html
    picked = owner.post("/store/", {"store_id": str(stores[0].pk), "next": "/counter/sale/"})
    assert picked["Location"] == "/counter/sale/"
    html = owner.get("/counter/sale/").content.decode()
    assert 'data-testid="store-picker"' not in html and 'id="sale-form"' in html
