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


class Channel:
    """Base class of a channel backend."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    def send(self, message: Message) -> Result:  # pragma: no cover - interface
        raise NotImplementedError


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
