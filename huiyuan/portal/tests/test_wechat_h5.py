"""WeChat Pay from the portal: on a phone's browser the order is H5 (the member is sent to
``h5_url`` with the result page as ``redirect_url``, the SDK told the member's address); on a
computer, inside WeChat's own browser and through the API (a POS) it stays NATIVE (a QR code).
The SDK's HTTP layer is replaced by a gateway that answers as WeChat Pay does."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from huiyuan.benefits.tests.conftest import shop  # noqa: F401 - fixtures
from huiyuan.ledger.tests.factories import card, key
from huiyuan.payments.models import OnlineOrder
from huiyuan.payments.services import online_order_create
from huiyuan.payments.tests.test_providers import (  # noqa: F401 - fixtures
    APIV3_KEY,
    H5_URL,
    gateway,
    keys,
)

pytestmark = pytest.mark.django_db

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)
IN_WECHAT = IPHONE + " MicroMessenger/8.0.50(0x18003237) NetType/WIFI Language/zh_CN"
CODE_URL = "weixin://wxpay/bizpayurl?pr=abc123"


@pytest.fixture(autouse=True)
def _wechat(settings, keys):  # noqa: F811
    settings.PAYMENTS_PROVIDERS = ["wechat"]
    settings.WECHATPAY_MCHID = "1900000109"
    settings.WECHATPAY_APPID = "wx0000000000000001"
    settings.WECHATPAY_PRIVATE_KEY = keys["merchant"][1]
    settings.WECHATPAY_CERT_SERIAL_NO = "444F4864EA9B34415"
    settings.WECHATPAY_APIV3_KEY = APIV3_KEY
    settings.WECHATPAY_PUBLIC_KEY = keys["platform"][2]
    settings.WECHATPAY_PUBLIC_KEY_ID = "PUB_KEY_ID_0001"


def test_a_recharge_on_a_phone_goes_to_wechat_h5(member_client, gateway):  # noqa: F811
    client, _, my_card = member_client
    sent = gateway({"h5_url": H5_URL})
    r = client.post(
        "/m/recharge/",
        {"card": my_card.pk, "amount": "100", "provider": "wechat"},
        headers={"User-Agent": IPHONE},
        REMOTE_ADDR="203.0.113.7",
    )
    order = OnlineOrder.objects.get()
    back = quote(f"http://testserver/m/recharge/orders/{order.number}/", safe="")
    assert r.status_code == 302
    assert r["Location"] == f"{H5_URL}&redirect_url={back}"
    assert (order.pay_url, order.qr_content) == (f"{H5_URL}&redirect_url={back}", "")
    [request] = sent.sent
    assert request["url"] == "https://api.mch.weixin.qq.com/v3/pay/transactions/h5"
    assert request["body"]["scene_info"] == {
        "payer_client_ip": "203.0.113.7",
        "h5_info": {"type": "Wap"},
    }
    assert (request["body"]["out_trade_no"], request["body"]["amount"]) == (
        order.number,
        {"total": 10_000, "currency": "CNY"},
    )


@pytest.mark.parametrize("agent", [DESKTOP, IN_WECHAT])
def test_a_recharge_on_a_computer_or_inside_wechat_stays_native(
    member_client,
    gateway,  # noqa: F811
    agent,
):
    client, _, my_card = member_client
    sent = gateway({"code_url": CODE_URL})
    r = client.post(
        "/m/recharge/",
        {"card": my_card.pk, "amount": "100", "provider": "wechat"},
        headers={"User-Agent": agent},
        REMOTE_ADDR="203.0.113.7",
    )
    order = OnlineOrder.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/m/recharge/orders/{order.number}/"
    assert (order.pay_url, order.qr_content) == ("", CODE_URL)
    [request] = sent.sent
    assert request["url"] == "https://api.mch.weixin.qq.com/v3/pay/transactions/native"
    assert "scene_info" not in request["body"]


def test_a_benefit_card_bought_on_a_phone_goes_to_wechat_h5(member_client, shop, gateway):  # noqa: F811
    client, _, _ = member_client
    sent = gateway({"h5_url": H5_URL})
    r = client.post(
        "/m/benefits/",
        {"plan": str(shop.silver.pk), "provider": "wechat"},
        headers={"User-Agent": IPHONE},
        REMOTE_ADDR="198.51.100.20",
    )
    order = OnlineOrder.objects.get()
    back = quote(f"http://testserver/m/benefits/orders/{order.number}/", safe="")
    assert r.status_code == 302 and r["Location"] == f"{H5_URL}&redirect_url={back}"
    assert sent.sent[0]["body"]["scene_info"]["payer_client_ip"] == "198.51.100.20"
    assert sent.sent[0]["body"]["amount"] == {"total": 3000, "currency": "CNY"}


def test_an_api_order_stays_native(cashier, owner, gateway):  # noqa: F811
    c = card(cashier, owner)
    sent = gateway({"code_url": CODE_URL})
    order = online_order_create(
        actor=cashier,
        card_id=c.pk,
        amount_fen=8_800,
        provider="wechat",
        notify_base_url="https://m.example/",
        idempotency_key=key(),
    )
    assert (order.pay_url, order.qr_content) == ("", CODE_URL)
    [request] = sent.sent
    assert request["url"] == "https://api.mch.weixin.qq.com/v3/pay/transactions/native"
    assert request["body"]["notify_url"] == "https://m.example/pay/notify/wechat/"


def test_a_wechat_answer_without_h5_url_refuses_and_shows_why(member_client, gateway):  # noqa: F811
    client, _, my_card = member_client
    gateway({"prepay_id": "wx30080000"})
    r = client.post(
        "/m/recharge/",
        {"card": my_card.pk, "amount": "100", "provider": "wechat"},
        headers={"User-Agent": IPHONE},
        REMOTE_ADDR="203.0.113.7",
    )
    assert r.status_code == 200
    assert "暂时无法连接支付机构，请稍后再试。" in r.content.decode()
    order = OnlineOrder.objects.get()
    assert (order.pay_url, order.qr_content, order.status) == ("", "", "pending")
