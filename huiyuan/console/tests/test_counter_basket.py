"""Console: 收银 (basket checkout) — scan products into the basket, the live quote with its
reasons, completion with exact fen, a refusal that writes nothing, the masked receipt."""

from __future__ import annotations

import re

import pytest

from huiyuan.checkout.models import Sale, SaleLine
from huiyuan.checkout.services import PromotionInput, promotion_publish
from huiyuan.checkout.tests.conftest import funded, shop, snapshot  # noqa: F401 - fixtures
from huiyuan.console.counter.basket import mask_card, mask_name
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances

QUOTE = "/counter/basket/quote/"
PAGE = "/counter/basket/"


def idem(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def no_inline_script(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+=", html), "on* attribute"
    assert not re.search(r"\sstyle=", html), "style attribute"


def lines_of(html: str) -> dict[str, list[str]]:
    """The basket's hidden state as the browser would post it back."""
    return {
        name: re.findall(rf'name="{name}"(?: id="[^"]*")? value="([^"]*)"', html)
        for name in ("line_product", "line_name", "line_qty", "line_amount")
    }


@pytest.fixture
def cashier_web(client_for):
    return client_for(Role.CASHIER)


def test_the_page_renders_for_a_cashier_with_the_member_panel(cashier_web, funded):  # noqa: F811
    html = cashier_web.get(f"{PAGE}?q={funded.number}").content.decode()
    no_inline_script(html)
    assert 'data-testid="card-panel"' in html
    assert "data-basket-scan" in html and 'name="idempotency_key"' in html
    assert f'name="card" value="{funded.number}"' in html
    assert "/static/console/basket.js" in html
    nav = cashier_web.get("/counter/").content.decode()
    assert 'href="/counter/basket/"' in nav and "收银" in nav


def test_scanning_adds_a_line_and_the_same_code_again_adds_one(cashier_web, shop):  # noqa: F811
    first = cashier_web.post(QUOTE, {"op": "scan", "code": "6901234567892"}).content.decode()
    state = lines_of(first)
    assert state["line_product"] == [str(shop.coffee.pk)] and state["line_qty"] == ["1"]
    assert "data-scanned" in first
    again = cashier_web.post(
        QUOTE, {"op": "scan", "code": "6901234567892", **state}
    ).content.decode()
    assert lines_of(again)["line_qty"] == ["2"]
    assert 'data-testid="quote-payable">¥56.00' in again
    # By SKU, then an amount-only fuel line, then remove the tea.
    more = cashier_web.post(QUOTE, {"op": "scan", "code": "A002", **lines_of(again)}).content
    fuel = cashier_web.post(
        QUOTE,
        {"op": "amount", "amount_code": "FUEL-92", "amount_yuan": "200", **lines_of(more.decode())},
    ).content.decode()
    assert lines_of(fuel)["line_amount"] == ["", "", "200"]
    assert "25.348" in fuel  # litres at ¥7.89
    left = cashier_web.post(QUOTE, {"op": "remove:1", **lines_of(fuel)}).content.decode()
    assert lines_of(left)["line_product"] == [str(shop.coffee.pk), str(shop.petrol.pk)]
    assert 'data-testid="quote-payable">¥256.00' in left


def test_an_unknown_code_is_refused_in_chinese(cashier_web, shop):  # noqa: F811
    html = cashier_web.post(QUOTE, {"op": "scan", "code": "999"}).content.decode()
    assert 'data-testid="basket-error"' in html and "999" in html
    assert "data-scanned" not in html and lines_of(html)["line_product"] == []


def test_the_quote_shows_the_discount_reason(cashier_web, shop, owner):  # noqa: F811
    promotion_publish(
        actor=owner,
        data=PromotionInput(
            code="drinks8",
            name="饮品8折",
            kind="percent_off",
            value=800,
            category_codes=("drinks",),
            stacking="exclusive",
        ),
    )
    html = cashier_web.post(
        QUOTE,
        {
            "line_product": [shop.coffee.pk],
            "line_name": ["拿铁"],
            "line_qty": ["1"],
            "line_amount": [""],
        },
    ).content.decode()
    assert 'data-testid="quote-discount">-¥5.60' in html
    assert 'data-testid="quote-payable">¥22.40' in html
    reasons = re.findall(r'data-testid="line-reason">([^<]+)<', html)
    assert reasons and "饮品8折" in reasons[0]


def basket_post(shop, card_number: str, key: str, **payment) -> dict:  # noqa: F811
    return {
        "idempotency_key": key,
        "card": card_number,
        "line_product": [shop.coffee.pk, shop.tea.pk, shop.cake.pk],
        "line_name": ["拿铁", "绿茶", "蛋糕"],
        "line_qty": ["2", "1", "1"],
        "line_amount": ["", "", ""],
        "rest_method": "cash",
        **payment,
    }


def test_completing_writes_one_sale_with_exact_fen(cashier_web, shop, funded):  # noqa: F811
    key = idem(cashier_web.get(f"{PAGE}?q={funded.number}").content.decode())
    form = basket_post(shop, funded.number, key, points="1000", balance="50", pay_wechat="8.40")
    done = cashier_web.post(PAGE, form)
    sale = Sale.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/sales/{sale.pk}/"
    assert (sale.amount_fen, sale.payable_fen, sale.points_used, sale.points_offset_fen) == (
        8840,
        8840,
        1000,
        1000,
    )
    assert (sale.paid_principal_fen, sale.paid_external_fen) == (5000, 2840)
    # ¥8.40 typed for WeChat; cash (ticked) takes the rest: ¥20.00.
    assert sale.payments == [
        {"method": "cash", "amount_fen": 2000},
        {"method": "wechat", "amount_fen": 840},
    ]
    assert SaleLine.objects.filter(sale=sale).count() == 3
    assert balances(funded) == {"principal": 45000, "bonus": 5000, "points": 77}
    # The same form again (a double click, a retry): the same sale, nothing more, although
    # the points are spent now (the page posts the amount its quote showed).
    again = cashier_web.post(PAGE, {**form, "due_fen": "2840"})
    assert again["Location"] == f"/sales/{sale.pk}/" and Sale.objects.count() == 1


def test_a_refusal_shows_the_chinese_message_and_writes_nothing(
    cashier_web,
    shop,  # noqa: F811
    funded,  # noqa: F811
):
    key = idem(cashier_web.get(f"{PAGE}?q={funded.number}").content.decode())
    before = snapshot(funded)
    form = {
        **basket_post(shop, funded.number, key, balance="600"),
        "line_product": [shop.coffee.pk, shop.petrol.pk],
        "line_name": ["拿铁", "92#汽油"],
        "line_qty": ["2", ""],
        "line_amount": ["", "800"],
    }
    response = cashier_web.post(PAGE, form)
    html = response.content.decode()
    assert response.status_code == 200
    error = re.search(r'data-testid="basket-error">.*?<div><div>([^<]+)<', html, re.S).group(1)
    assert error == "储值余额不足。"
    # The basket is still there to correct, under the same key.
    assert lines_of(html)["line_amount"] == ["", "800"] and idem(html) == key
    assert snapshot(funded) == before


def test_the_receipt_masks_the_card_number_and_the_name(cashier_web, shop, funded):  # noqa: F811
    key = idem(cashier_web.get(PAGE).content.decode())
    cashier_web.post(PAGE, basket_post(shop, funded.number, key, balance="88.40"))
    sale = Sale.objects.get()
    html = cashier_web.get(f"/sales/{sale.pk}/").content.decode()
    no_inline_script(html)
    card = re.search(r'data-testid="r-card">([^<]+)<', html).group(1)
    assert card == funded.number[0] + "*" * (len(funded.number) - 5) + funded.number[-4:]
    assert re.search(r'data-testid="r-member">([^<]+)<', html).group(1) == mask_name(
        funded.member.name
    )
    printed = html.split('data-testid="receipt"', 1)[1].split("Return goods", 1)[0]
    assert funded.number not in printed and funded.member.name not in printed
    assert 'data-receipt-paper="80"' in html and 'data-paper="58"' in html
    assert "/static/console/receipt.css" in html
    assert "拿铁 × 2" in html


def test_masks():
    assert mask_card("6222021234561234") == "6***********1234"
    assert mask_card("1234") == "1234"
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("王五") == "王*"
    assert mask_name("欧阳小锋") == "欧**锋"


def test_a_spend_frozen_member_shows_on_the_panel_and_the_sale_is_refused(
    cashier_web,
    shop,  # noqa: F811
    funded,  # noqa: F811
    owner,
):
    from huiyuan.members.services import member_freeze

    member_freeze(
        actor=owner, member_id=funded.member_id, earning=False, spending=True, reason="风控核查"
    )
    html = cashier_web.get(f"{PAGE}?q={funded.number}").content.decode()
    badge = re.search(r'data-testid="card-status">(.*?)</span>', html, re.S).group(1)
    assert "冻结" in re.sub(r"<[^>]+>", "", badge)
    before = snapshot(funded)
    refused = cashier_web.post(PAGE, basket_post(shop, funded.number, idem(html), balance="10"))
    error = re.search(
        r'data-testid="basket-error">.*?<div><div>([^<]+)<', refused.content.decode(), re.S
    )
    assert error.group(1) == "该会员已冻结消费。"
    assert snapshot(funded) == before


def test_the_counter_hub_offers_the_basket_for_a_card(cashier_web, funded):  # noqa: F811
    html = cashier_web.get(f"/counter/?q={funded.number}").content.decode()
    assert f'href="/counter/basket/?q={funded.number}" data-testid="tile-basket"' in html
