"""Issue 17 §4 at the basket (收银): points above what the bill allows are not counted (with
"at most N"), cash handed over beyond the due is change (找零) and the sale records the
due, another method typed beyond it is overpaid (多收) and refused."""

from __future__ import annotations

import re

import pytest

from huiyuan.checkout.models import Sale
from huiyuan.checkout.tests.conftest import funded, shop, snapshot  # noqa: F401 - fixtures
from huiyuan.console.tests.test_counter_basket import (  # noqa: F401 - fixtures
    PAGE,
    QUOTE,
    basket_post,
    cashier_web,
    idem,
)
from huiyuan.ledger.tests.factories import balances

pytestmark = pytest.mark.django_db


def value(html: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">([^<]+)<', html).group(1)


def test_points_above_the_card_are_counted_up_to_what_is_there(cashier_web, shop, funded):  # noqa: F811
    html = cashier_web.post(QUOTE, basket_post(shop, funded.number, "k", points="1500")).content
    html = html.decode()
    assert value(html, "quote-points") == "-¥10.00"  # 1,000 points, not 1,500
    assert value(html, "quote-external") == "¥78.40"
    assert value(html, "quote-points-cap") == "最多可用 1000 积分：超出部分不计入。"
    assert 'data-testid="basket-error"' not in html
    # Completing with the 1,500 typed is refused, and nothing is written.
    key = idem(cashier_web.get(f"{PAGE}?q={funded.number}").content.decode())
    before = snapshot(funded)
    refused = cashier_web.post(PAGE, basket_post(shop, funded.number, key, points="1500"))
    assert refused.status_code == 200 and Sale.objects.count() == 0
    assert snapshot(funded) == before


def test_cash_beyond_the_due_is_change_and_the_sale_records_the_due(cashier_web, shop, funded):  # noqa: F811
    form = basket_post(shop, funded.number, "k", pay_cash="100")
    html = cashier_web.post(QUOTE, form).content.decode()
    assert value(html, "quote-tendered") == "¥100.00"
    assert value(html, "quote-change") == "¥11.60"
    assert 'data-testid="quote-external"' not in html  # not "还需收款 ¥0.00"
    assert value(html, "quote-pay-cash") == "¥88.40"
    key = idem(cashier_web.get(f"{PAGE}?q={funded.number}").content.decode())
    done = cashier_web.post(PAGE, {**form, "idempotency_key": key})
    sale = Sale.objects.get()
    assert done.status_code == 302
    assert sale.payments == [{"method": "cash", "amount_fen": 8840}]
    assert balances(funded)["principal"] == 50000


def test_wechat_beyond_the_due_is_overpaid_and_refused(cashier_web, shop, funded):  # noqa: F811
    form = basket_post(shop, funded.number, "k", pay_wechat="100")
    html = cashier_web.post(QUOTE, form).content.decode()
    assert value(html, "quote-overpaid") == "¥11.60"
    assert value(html, "quote-warning") == ("非现金方式多收了 ¥11.60（不能找零）：请修改金额。")
    key = idem(cashier_web.get(f"{PAGE}?q={funded.number}").content.decode())
    before = snapshot(funded)
    refused = cashier_web.post(PAGE, {**form, "idempotency_key": key})
    assert refused.status_code == 200 and Sale.objects.count() == 0
    assert snapshot(funded) == before
