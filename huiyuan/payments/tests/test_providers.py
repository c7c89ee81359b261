"""The WeChat Pay and Alipay adapters verify notifications with the SDKs, using keys
generated here (no network: the clients are built in public-key mode)."""

from __future__ import annotations

import base64
import json
import os
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from huiyuan.payments.providers.alipay import AlipayProvider
from huiyuan.payments.providers.base import Incoming, OrderRequest
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
