"""The WeChat Pay and Alipay adapters verify notifications with the SDKs, using keys
generated here (no network: the clients are built in public-key mode)."""

from __future__ import annotations

import base64
import json
import os
import time
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import wechatpayv3.core
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from huiyuan.payments.providers.alipay import AlipayProvider
from huiyuan.payments.providers.base import Incoming, OrderRequest, PayInstruction, ProviderError
from huiyuan.payments.providers.wechat import WeChatPayProvider

APIV3_KEY = "0123456789abcdef0123456789abcdef"  # 32 bytes


def _keypair() -> tuple[rsa.RSAPrivateKey, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return key, private, public


@pytest.fixture(scope="module")
def keys():
    return {"merchant": _keypair(), "platform": _keypair(), "other": _keypair()}


@pytest.fixture
def wechat(settings, keys) -> WeChatPayProvider:
    settings.WECHATPAY_MCHID = "1900000109"
    settings.WECHATPAY_APPID = "wx0000000000000001"
    settings.WECHATPAY_PRIVATE_KEY = keys["merchant"][1]
    settings.WECHATPAY_CERT_SERIAL_NO = "444F4864EA9B34415"
    settings.WECHATPAY_APIV3_KEY = APIV3_KEY
    settings.WECHATPAY_PUBLIC_KEY = keys["platform"][2]
    settings.WECHATPAY_PUBLIC_KEY_ID = "PUB_KEY_ID_0001"
    return WeChatPayProvider()


def _wechat_notification(
    signer, *, total=10_000, serial="PUB_KEY_ID_0001", timestamp: str = ""
) -> Incoming:
    resource = json.dumps(
        {
            "out_trade_no": "HY2026113000000001",
            "transaction_id": "4200001",
            "trade_state": "SUCCESS",
            "amount": {"total": total, "currency": "CNY"},
        }
    )
    nonce, associated = "abcdefghijkl", "transaction"
    cipher = AESGCM(APIV3_KEY.encode()).encrypt(
        nonce.encode(), resource.encode(), associated.encode()
    )
    body = json.dumps(
        {
            "id": "EV-1",
            "event_type": "TRANSACTION.SUCCESS",
            "resource_type": "encrypt-resource",
            "resource": {
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(cipher).decode(),
                "associated_data": associated,
                "nonce": nonce,
            },
        }
    )
    timestamp, sig_nonce = timestamp or str(int(time.time())), os.urandom(8).hex()
    message = f"{timestamp}\n{sig_nonce}\n{body}\n".encode()
    signature = base64.b64encode(signer.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    headers = {
        "wechatpay-signature": signature,
        "wechatpay-timestamp": timestamp,
        "wechatpay-nonce": sig_nonce,
        "wechatpay-serial": serial,
        "wechatpay-signature-type": "WECHATPAY2-SHA256-RSA2048",
    }
    return Incoming(headers=headers, body=body.encode())


def test_wechat_verifies_and_parses_a_signed_notification(wechat, keys):
    incoming = _wechat_notification(keys["platform"][0])
    assert wechat.notification_verify(incoming)
    notice = wechat.notification_parse(incoming)
    assert (notice.order_number, notice.trade_no, notice.amount_fen, notice.paid) == (
        "HY2026113000000001",
        "4200001",
        10_000,
        True,
    )
    assert wechat.acknowledge(True).body == '{"code": "SUCCESS"}'


def test_wechat_refuses_a_foreign_signature_or_a_changed_body(wechat, keys):
    assert not wechat.notification_verify(_wechat_notification(keys["other"][0]))
    assert not wechat.notification_verify(
        _wechat_notification(keys["platform"][0], serial="OTHER_KEY")
    )
    assert not wechat.notification_verify(
        _wechat_notification(keys["platform"][0], timestamp=str(int(time.time()) - 3600))
    )
    good = _wechat_notification(keys["platform"][0])
    tampered = Incoming(headers=good.headers, body=good.body.replace(b"EV-1", b"EV-2"))
    assert not wechat.notification_verify(tampered)


class WeChatGateway:
    """Stands in for the HTTP layer of the SDK (``wechatpayv3.core.requests``): records what
    the SDK sends and answers ``answer`` signed with WeChat Pay's key, as the gateway does."""

    def __init__(self, signer: rsa.RSAPrivateKey, answer: dict[str, Any]) -> None:
        self.signer, self.answer = signer, answer
        self.sent: list[dict[str, Any]] = []

    def post(self, *, url: str, headers: dict[str, str], **sent: Any) -> SimpleNamespace:
        self.sent.append({"url": url, "body": sent["json"], "headers": dict(headers)})
        text = json.dumps(self.answer)
        timestamp, nonce = str(int(time.time())), os.urandom(8).hex()
        message = f"{timestamp}\n{nonce}\n{text}\n".encode()
        signature = self.signer.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return SimpleNamespace(
            status_code=200,
            text=text,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Wechatpay-Signature": base64.b64encode(signature).decode(),
                "Wechatpay-Timestamp": timestamp,
                "Wechatpay-Nonce": nonce,
                "Wechatpay-Serial": "PUB_KEY_ID_0001",
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            },
        )


@pytest.fixture
def gateway(monkeypatch, keys):
    def install(answer: dict[str, Any]) -> WeChatGateway:
        fake = WeChatGateway(keys["platform"][0], answer)
        monkeypatch.setattr(wechatpayv3.core, "requests", fake)
        return fake

    return install


def _wechat_order(**extra: str) -> OrderRequest:
    return OrderRequest(
        number="HY2026113000000002",
        amount_fen=12_345,
        subject="会员卡充值 123.45",
        notify_url="https://m.example/pay/notify/wechat/",
        **extra,
    )


H5_URL = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx30080000&package=1"


def test_wechat_phone_order_is_h5_with_the_payers_address(wechat, gateway):
    sent = gateway({"h5_url": H5_URL})
    instruction = wechat.order_create(
        _wechat_order(
            return_url="https://m.example/m/recharge/orders/HY2026113000000002/",
            payer_client_ip="203.0.113.7",
        )
    )
    assert instruction == PayInstruction(
        pay_url=H5_URL
        + "&redirect_url=https%3A%2F%2Fm.example%2Fm%2Frecharge%2Forders%2FHY2026113000000002%2F"
    )
    assert len(sent.sent) == 1
    request = sent.sent[0]
    assert request["url"] == "https://api.mch.weixin.qq.com/v3/pay/transactions/h5"
    assert request["body"] == {
        "appid": "wx0000000000000001",
        "mchid": "1900000109",
        "description": "会员卡充值 123.45",
        "out_trade_no": "HY2026113000000002",
        "amount": {"total": 12_345, "currency": "CNY"},
        "notify_url": "https://m.example/pay/notify/wechat/",
        "scene_info": {"payer_client_ip": "203.0.113.7", "h5_info": {"type": "Wap"}},
    }
    assert request["headers"]["Authorization"].startswith(
        'WECHATPAY2-SHA256-RSA2048 mchid="1900000109"'
    )


def test_wechat_api_order_stays_native(wechat, gateway):
    sent = gateway({"code_url": "weixin://wxpay/bizpayurl?pr=abc123"})
    instruction = wechat.order_create(_wechat_order(return_url="https://pos.example/back"))
    assert instruction == PayInstruction(qr_content="weixin://wxpay/bizpayurl?pr=abc123")
    request = sent.sent[0]
    assert request["url"] == "https://api.mch.weixin.qq.com/v3/pay/transactions/native"
    assert "scene_info" not in request["body"]
    assert request["body"]["out_trade_no"] == "HY2026113000000002"


def test_wechat_h5_answer_without_h5_url_is_a_provider_error(wechat, gateway):
    gateway({"code_url": "weixin://wxpay/bizpayurl?pr=abc123"})
    with pytest.raises(ProviderError, match=r"^WeChat Pay returned no h5_url$"):
        wechat.order_create(_wechat_order(payer_client_ip="203.0.113.7"))


@pytest.fixture
def alipay(settings, keys) -> AlipayProvider:
    settings.ALIPAY_APPID = "2021000000000001"
    settings.ALIPAY_PRIVATE_KEY = keys["merchant"][1]
    settings.ALIPAY_PUBLIC_KEY = keys["platform"][2]
    return AlipayProvider(debug=True)


def _alipay_form(signer, **fields: str) -> dict[str, str]:
    form = {
        "app_id": "2021000000000001",
        "out_trade_no": "HY2026113000000002",
        "trade_no": "2026113022001",
        "total_amount": "500.00",
        "trade_status": "TRADE_SUCCESS",
        "notify_time": "2026-11-30 11:00:00",
        **fields,
    }
    message = "&".join(f"{k}={form[k]}" for k in sorted(form)).encode()
    sign = base64.b64encode(signer.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return {**form, "sign": sign, "sign_type": "RSA2"}


def test_alipay_verifies_and_parses_a_signed_notification(alipay, keys):
    incoming = Incoming(headers={}, body=b"", form=_alipay_form(keys["platform"][0]))
    assert alipay.notification_verify(incoming)
    notice = alipay.notification_parse(incoming)
    assert (notice.order_number, notice.amount_fen, notice.paid) == (
        "HY2026113000000002",
        50_000,
        True,
    )
    assert alipay.acknowledge(True).body == "success"


def test_alipay_refuses_a_foreign_signature_or_a_changed_amount(alipay, keys):
    foreign = Incoming(headers={}, body=b"", form=_alipay_form(keys["other"][0]))
    assert not alipay.notification_verify(foreign)
    form = _alipay_form(keys["platform"][0])
    form["total_amount"] = "0.01"
    assert not alipay.notification_verify(Incoming(headers={}, body=b"", form=form))
    assert not alipay.notification_verify(Incoming(headers={}, body=b"", form={"a": "b"}))


def test_alipay_order_is_a_signed_gateway_url(alipay, keys):
    instruction = alipay.order_create(
        OrderRequest(
            number="HY1",
            amount_fen=12_345,
            subject="会员卡充值",
            notify_url="https://m.example/pay/notify/alipay/",
        )
    )
    url = urlsplit(instruction.pay_url)
    assert url.netloc == "openapi-sandbox.dl.alipaydev.com"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert json.loads(query["biz_content"])["total_amount"] == "123.45"
    assert query["notify_url"] == "https://m.example/pay/notify/alipay/"
    # signed with the app's private key: verifiable with its public key
    sign = base64.b64decode(query.pop("sign"))
    message = "&".join(f"{k}={query[k]}" for k in sorted(query)).encode()
    keys["merchant"][0].public_key().verify(sign, message, padding.PKCS1v15(), hashes.SHA256())
