"""Channels: swappable strategies that carry one message, chosen in settings.

``HUIYUAN_CARE_CHANNELS`` maps a channel kind (``sms``, ``email``, ``wechat``, ``inbox``,
``webhook``) to ``{"BACKEND": "dotted.path.Class", "OPTIONS": {...}}``. A backend takes
its options as keyword arguments and answers ``send(message) -> Result``; it may raise
for a network failure (the worker records it and tries again later with backoff).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Message:
    delivery_id: int
    channel: str
    to: str  # the address: a mobile, an e-mail, an openid, a member id
    subject: str
    body: str
    template_code: str
    params: dict[str, Any] = field(default_factory=dict)
    member_id: int | None = None


@dataclass(frozen=True)
class Result:
    ok: bool
    provider_id: str = ""
    response: str = ""  # the provider's answer, as received (kept in the delivery log)
    delivered: bool = False  # confirmed at once (the outbox, the inbox)
    retryable: bool = True  # a refusal that will not change (bad template, bad address)


@dataclass(frozen=True)
class Receipt:
    """A provider's delivery receipt (回执) for one message it accepted earlier."""

    provider_id: str  # the id its send answer gave (Aliyun BizId, Tencent SerialNo)
    delivered: bool
    mobile: str  # the number as the provider reports it ("" or masked when it hides it)
    answer: str  # the receipt as received (JSON), kept in the delivery log
    error: str = ""  # the provider's code and text when not delivered


class Channel:
    """Base class of a channel backend."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    def send(self, message: Message) -> Result:  # pragma: no cover - interface
        raise NotImplementedError

    def send_many(self, messages: list[Message]) -> list[Result | Exception]:
        """Send several messages: a result (or the exception raised) per message, in order.
        The default sends one by one; a channel that only writes rows (the outbox, the
        inbox) overrides it with one bulk insert."""
        return send_each(self, messages)


def send_each(backend: Any, messages: list[Message]) -> list[Result | Exception]:
    """Send one by one, each in its own savepoint, keeping an exception as the result."""
    from django.db import transaction

    results: list[Result | Exception] = []
    for message in messages:
        try:
            with transaction.atomic():
                results.append(backend.send(message))
        except Exception as exc:  # noqa: BLE001 - the network, the provider: recorded
            results.append(exc)
    return results


class ChannelNotConfigured(Exception):
    pass


def channel_settings() -> dict[str, dict[str, Any]]:
    return dict(getattr(settings, "HUIYUAN_CARE_CHANNELS", {}) or {})


def channel_backend_path(kind: str) -> str:
    conf = channel_settings().get(kind)
    if not conf:
        raise ChannelNotConfigured(kind)
    return str(conf["BACKEND"])


def channel_get(kind: str) -> Channel:
    """The configured backend of ``kind`` (a new instance: options may change in tests)."""
    conf = channel_settings().get(kind)
    if not conf:
        raise ChannelNotConfigured(kind)
    backend = import_string(conf["BACKEND"])
    return backend(**dict(conf.get("OPTIONS") or {}))
