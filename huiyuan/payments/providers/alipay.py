"""Alipay through the maintained SDK ``python-alipay-sdk``.

Configured from the environment (settings ``ALIPAY_*``): app id, the app's private key and
Alipay's public key (RSA2), and whether to use Alipay's sandbox gateway. Orders are mobile
web payments (``alipay.trade.wap.pay``): the payer is sent to the signed gateway URL, built
locally (no request is made when the order is created). A notification is a form POST;
its ``sign`` is verified by the SDK with Alipay's public key over the sorted fields.
"""

from __future__ import annotations

from alipay import AliPay
from django.conf import settings

from huiyuan.core.money import yuan_to_fen
from huiyuan.payments.providers.base import (
    Acknowledgement,
    Incoming,
    OrderRequest,
    PaidNotice,
    PayInstruction,
)

PAID_STATES = ("TRADE_SUCCESS", "TRADE_FINISHED")
SANDBOX_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
GATEWAY = "https://openapi.alipay.com/gateway.do"


def amount_str(fen: int) -> str:
    """Alipay's ``total_amount``: yuan with two decimals, no symbol or separators."""
    whole, cents = divmod(fen, 100)
    return f"{whole}.{cents:02d}"


def configured() -> bool:
    return all(
        getattr(settings, name, "")
        for name in ("ALIPAY_APPID", "ALIPAY_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY")
    )


class AlipayProvider:
    code = "alipay"

    def __init__(self, client: AliPay | None = None, *, debug: bool | None = None) -> None:
        self._debug = bool(getattr(settings, "ALIPAY_DEBUG", False)) if debug is None else debug
        self._client = client or AliPay(
            appid=settings.ALIPAY_APPID,
            app_private_key_string=settings.ALIPAY_PRIVATE_KEY,
            alipay_public_key_string=settings.ALIPAY_PUBLIC_KEY,
            sign_type="RSA2",
            debug=self._debug,
        )

    def order_create(self, order: OrderRequest) -> PayInstruction:
        query = self._client.api_alipay_trade_wap_pay(
            subject=order.subject[:256],
            out_trade_no=order.number,
            total_amount=amount_str(order.amount_fen),
            return_url=order.return_url or None,
            notify_url=order.notify_url,
        )
        gateway = SANDBOX_GATEWAY if self._debug else GATEWAY
        return PayInstruction(pay_url=f"{gateway}?{query}")

    def notification_verify(self, incoming: Incoming) -> bool:
        data = dict(incoming.form)
        signature = data.pop("sign", "")
        if not signature:
            return False
        try:
            return bool(self._client.verify(data, signature))
        except Exception:  # noqa: BLE001 - a wrong sign_type, an undecodable signature
            return False

    def notification_parse(self, incoming: Incoming) -> PaidNotice:
        form = incoming.form
        return PaidNotice(
            order_number=str(form["out_trade_no"]),
            trade_no=str(form.get("trade_no", "")),
            amount_fen=yuan_to_fen(str(form["total_amount"])),
            paid=form.get("trade_status") in PAID_STATES,
        )

    def acknowledge(self, ok: bool) -> Acknowledgement:
        return Acknowledgement(200 if ok else 400, "text/plain", "success" if ok else "fail")
