"""The sandbox provider: a stand-in bank for development and tests.

It behaves like the real ones where it matters: an order is registered with it, the payer
pays on its own page (``/pay/sandbox/<order>/``), and it then POSTs a signed notification to
the notify URL it was given, over HTTP, from the worker (``payments.tasks``), repeating it
until it is acknowledged. Its signature is HMAC-SHA256 over ``timestamp\\nbody`` with its own
key (``PAYMENTS_SANDBOX_KEY``; by default derived from ``SECRET_KEY``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from huiyuan.payments.models import SandboxCharge
from huiyuan.payments.providers.base import (
    Acknowledgement,
    Incoming,
    OrderRequest,
    PaidNotice,
    PayInstruction,
)

SIGNATURE_HEADER = "X-Sandbox-Signature"
TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
MAX_SKEW_SECONDS = 300


def sandbox_key() -> bytes:
    configured = getattr(settings, "PAYMENTS_SANDBOX_KEY", "")
    if configured:
        return str(configured).encode()
    return salted_hmac("huiyuan.payments.sandbox", "key").digest()


def sign(timestamp: str, body: bytes, key: bytes | None = None) -> str:
    message = timestamp.encode() + b"\n" + body
    return hmac.new(key or sandbox_key(), message, hashlib.sha256).hexdigest()


def notification_build(charge: SandboxCharge) -> tuple[dict[str, str], bytes]:
    """The headers and body the sandbox sends for a paid charge."""
    body = json.dumps(
        {
            "order_number": charge.order_number,
            "trade_no": charge.trade_no,
            "amount_fen": charge.amount_fen,
            "status": "SUCCESS" if charge.paid_at else "NOTPAY",
        },
        sort_keys=True,
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(timestamp, body),
    }
    return headers, body


class SandboxProvider:
    code = "sandbox"

    def order_create(self, order: OrderRequest) -> PayInstruction:
        SandboxCharge.objects.get_or_create(
            order_number=order.number,
            defaults={
                "trade_no": "SBX" + secrets.token_hex(10).upper(),
                "amount_fen": order.amount_fen,
                "subject": order.subject[:100],
                "notify_url": order.notify_url,
                "return_url": order.return_url[:500],
                "created_at": timezone.now(),
            },
        )
        return PayInstruction(pay_url=reverse("payments:sandbox_pay", args=[order.number]))

    def notification_verify(self, incoming: Incoming) -> bool:
        timestamp = incoming.header(TIMESTAMP_HEADER)
        signature = incoming.header(SIGNATURE_HEADER)
        if not timestamp.isdigit() or not signature:
            return False
        if abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
            return False
        return hmac.compare_digest(sign(timestamp, incoming.body), signature)

    def notification_parse(self, incoming: Incoming) -> PaidNotice:
        data = json.loads(incoming.body)
        amount = data["amount_fen"]
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise ValueError("amount_fen")
        return PaidNotice(
            order_number=str(data["order_number"]),
            trade_no=str(data["trade_no"]),
            amount_fen=amount,
            paid=data.get("status") == "SUCCESS",
        )

    def acknowledge(self, ok: bool) -> Acknowledgement:
        body = json.dumps({"code": "SUCCESS" if ok else "FAIL"})
        return Acknowledgement(200 if ok else 400, "application/json", body)
