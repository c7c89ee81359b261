"""What every payment provider offers: create an order, verify and parse a notification.

An adapter turns our order into the provider's request and the provider's notification into
a ``PaidNotice``; it never touches our tables. Services decide what a notice does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OrderRequest:
    """What we ask a provider to collect."""

    number: str
    amount_fen: int
    subject: str
    notify_url: str
    return_url: str = ""
    # The payer's address when they pay in a phone's browser (the portal); empty otherwise
    # (an API order, paid by scanning a QR code the POS shows).
    payer_client_ip: str = ""


@dataclass(frozen=True)
class PayInstruction:
    """What the payer's client needs: a page to open, or what a QR code carries."""

    pay_url: str = ""
    qr_content: str = ""


@dataclass(frozen=True)
class Incoming:
    """A notification as it reached us: headers (any case), the raw body, form fields."""

    headers: Mapping[str, str]
    body: bytes
    form: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return ""


@dataclass(frozen=True)
class PaidNotice:
    """A verified notification: our order number, the provider's trade, the amount."""

    order_number: str
    trade_no: str
    amount_fen: int
    paid: bool  # a successful payment (not a closed or pending trade)


@dataclass(frozen=True)
class Acknowledgement:
    """What the provider expects back."""

    status: int
    content_type: str
    body: str


class ProviderError(Exception):
    """The provider could not be reached or refused the request."""


class PaymentProvider(Protocol):
    code: str

    def order_create(self, order: OrderRequest) -> PayInstruction:
        """Register the order with the provider; return what the payer's client needs."""
        ...

    def notification_verify(self, incoming: Incoming) -> bool:
        """True only when the notification carries the provider's valid signature."""
        ...

    def notification_parse(self, incoming: Incoming) -> PaidNotice:
        """The notice of a verified notification (raise ``ValueError`` if malformed)."""
        ...

    def acknowledge(self, ok: bool) -> Acknowledgement:
        """The reply that tells the provider to stop (``ok``) or to send again."""
        ...
