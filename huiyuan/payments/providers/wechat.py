"""WeChat Pay (API v3) through the maintained SDK ``wechatpayv3``.

Configured from the environment (settings ``WECHATPAY_*``): merchant id, app id, the
merchant's private key and its certificate serial number, the APIv3 key, and WeChat Pay's
public key with its id (the "微信支付公钥" mode: no platform-certificate download, so
nothing is fetched when the client is built). Orders are NATIVE (the payer scans a QR code
carrying ``code_url``). A notification is verified (RSA-SHA256 over
``timestamp\\nnonce\\nbody`` with WeChat Pay's public key) and its resource decrypted
(AES-256-GCM with the APIv3 key) by the SDK.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from wechatpayv3 import WeChatPay, WeChatPayType

from huiyuan.payments.providers.base import (
    Acknowledgement,
    Incoming,
    OrderRequest,
    PaidNotice,
    PayInstruction,
    ProviderError,
)

MAX_SKEW_SECONDS = 300  # a notification signed longer ago than this is refused
HEADERS = (
    "Wechatpay-Signature",
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
)


def configured() -> bool:
    return all(
        getattr(settings, name, "")
        for name in (
            "WECHATPAY_MCHID",
            "WECHATPAY_APPID",
            "WECHATPAY_PRIVATE_KEY",
            "WECHATPAY_CERT_SERIAL_NO",
            "WECHATPAY_APIV3_KEY",
            "WECHATPAY_PUBLIC_KEY",
            "WECHATPAY_PUBLIC_KEY_ID",
        )
    )


class WeChatPayProvider:
    code = "wechat"

    def __init__(self, client: WeChatPay | None = None) -> None:
        self._public_key_id = settings.WECHATPAY_PUBLIC_KEY_ID
        self._client = client or WeChatPay(
            wechatpay_type=WeChatPayType.NATIVE,
            mchid=settings.WECHATPAY_MCHID,
            private_key=settings.WECHATPAY_PRIVATE_KEY,
            cert_serial_no=settings.WECHATPAY_CERT_SERIAL_NO,
            appid=settings.WECHATPAY_APPID,
            apiv3_key=settings.WECHATPAY_APIV3_KEY,
            public_key=settings.WECHATPAY_PUBLIC_KEY,
            public_key_id=settings.WECHATPAY_PUBLIC_KEY_ID,
            timeout=(5, 10),
        )

    def order_create(self, order: OrderRequest) -> PayInstruction:
        try:
            code, message = self._client.pay(
                description=order.subject[:120],
                out_trade_no=order.number,
                amount={"total": order.amount_fen, "currency": "CNY"},
                notify_url=order.notify_url,
                pay_type=WeChatPayType.NATIVE,
            )
        except Exception as exc:  # the SDK raises bare Exceptions and requests errors
            raise ProviderError(str(exc)) from exc
        if code != 200:
            raise ProviderError(f"WeChat Pay answered {code}")
        code_url = json.loads(message).get("code_url", "")
        if not code_url:
            raise ProviderError("WeChat Pay returned no code_url")
        return PayInstruction(qr_content=code_url)

    def _decrypted(self, incoming: Incoming) -> dict[str, Any] | None:
        headers = {name: incoming.header(name) for name in HEADERS}
        # Only WeChat Pay's public key configured here signs: another serial would make the
        # SDK download platform certificates in the middle of a request.
        if headers["Wechatpay-Serial"] != self._public_key_id:
            return None
        timestamp = headers["Wechatpay-Timestamp"]
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
            return None
        try:
            result = self._client.callback(headers, incoming.body.decode("utf-8"))
        except Exception:  # noqa: BLE001 - unknown algorithm, bad ciphertext, undecodable body
            return None
        return result if isinstance(result, dict) else None

    def notification_verify(self, incoming: Incoming) -> bool:
        return self._decrypted(incoming) is not None

    def notification_parse(self, incoming: Incoming) -> PaidNotice:
        data = self._decrypted(incoming)
        if data is None:
            raise ValueError("unverifiable notification")
        resource = data["resource"]
        amount = resource["amount"]["total"]
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise ValueError("amount")
        return PaidNotice(
            order_number=str(resource["out_trade_no"]),
            trade_no=str(resource.get("transaction_id", "")),
            amount_fen=amount,
            paid=resource.get("trade_state") == "SUCCESS",
        )

    def acknowledge(self, ok: bool) -> Acknowledgement:
        if ok:
            return Acknowledgement(200, "application/json", json.dumps({"code": "SUCCESS"}))
        body = json.dumps({"code": "FAIL", "message": "失败"}, ensure_ascii=False)
        return Acknowledgement(400, "application/json", body)
