"""WeChat Pay (API v3) through the maintained SDK ``wechatpayv3``.

Configured from the environment (settings ``WECHATPAY_*``): merchant id, app id, the
merchant's private key and its certificate serial number, the APIv3 key, and WeChat Pay's
public key with its id (the "微信支付公钥" mode: no platform-certificate download, so
nothing is fetched when the client is built). An order paid in a phone's browser (the portal:
``OrderRequest.payer_client_ip`` set) is H5 (MWEB): the payer is sent to ``h5_url``, which
returns them to ``return_url``. Any other order (the API: a POS showing a QR code) is NATIVE:
the payer scans a QR code carrying ``code_url``. A notification is verified (RSA-SHA256 over
``timestamp\\nnonce\\nbody`` with WeChat Pay's public key) and its resource decrypted
(AES-256-GCM with the APIv3 key) by the SDK.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

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
        h5 = bool(order.payer_client_ip)
        extra: dict[str, Any] = {"pay_type": WeChatPayType.NATIVE}
        if h5:
            extra = {
                "pay_type": WeChatPayType.H5,
                "scene_info": {
                    "payer_client_ip": order.payer_client_ip,
                    "h5_info": {"type": "Wap"},
                },
            }
        try:
            code, message = self._client.pay(
                description=order.subject[:120],
                out_trade_no=order.number,
                amount={"total": order.amount_fen, "currency": "CNY"},
                notify_url=order.notify_url,
                **extra,
            )
        except Exception as exc:  # the SDK raises bare Exceptions and requests errors
            raise ProviderError(str(exc)) from exc
        if code != 200:
            raise ProviderError(f"WeChat Pay answered {code}")
        try:
            answer = json.loads(message)
        except (TypeError, ValueError) as exc:
            raise ProviderError("WeChat Pay answered no JSON") from exc
        if not isinstance(answer, dict):
            raise ProviderError("WeChat Pay answered no JSON object")
        if h5:
            h5_url = answer.get("h5_url", "")
            if not isinstance(h5_url, str) or not h5_url:
                raise ProviderError("WeChat Pay returned no h5_url")
            if not order.return_url:
                return PayInstruction(pay_url=h5_url)
            # WeChat Pay sends the payer back here once they leave its page (paid or not).
            return PayInstruction(
                pay_url=h5_url + "&redirect_url=" + quote(order.return_url, safe="")
            )
        code_url = answer.get("code_url", "")
        if not isinstance(code_url, str) or not code_url:
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
