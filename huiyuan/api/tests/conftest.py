"""API test fixtures: an HTTP client per kind of caller, members made through services."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.test.client import ClientHandler
from django.utils import translation

from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Actor, Role
from huiyuan.members import services
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput
from huiyuan.stores.models import Staff, Terminal
from huiyuan.stores.services import api_key_create

API = "/api/v1"

# Loading the middleware makes WhiteNoise index every static file (~0.4 s); do it once.
_HANDLER = ClientHandler(enforce_csrf_checks=False)


def new_client() -> Client:
    client = Client()
    client.handler = _HANDLER
    return client


class ApiClient:
    """A Django test client that speaks JSON and carries one caller's credentials."""

    def __init__(self, client: Client, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs["data"] = body if isinstance(body, bytes | str) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method.lower())(f"{API}{path}", **kwargs)

    def get(self, path: str, **headers: str) -> Any:
        return self.call("GET", path, **headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.call("POST", path, body if body is not None else {}, **headers)

    def patch(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.call("PATCH", path, body if body is not None else {}, **headers)

    def put(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.call("PUT", path, body if body is not None else {}, **headers)


def staff_client(staff: Staff) -> ApiClient:
    client = new_client()
    client.force_login(staff)
    return ApiClient(client)


@pytest.fixture
def as_staff(staff) -> Callable[[Role], ApiClient]:
    return lambda role: staff_client(staff[role])


@pytest.fixture
def anon() -> ApiClient:
    return ApiClient(new_client())


@pytest.fixture
def key_for(owner) -> Callable[..., str]:
    """A fresh API key for a terminal (default role: cashier)."""

    def make(terminal: Terminal, role: Role = Role.CASHIER) -> str:
        _, key = api_key_create(actor=owner, terminal_id=terminal.pk, name="POS", role=role)
        return key

    return make


@pytest.fixture
def terminal_key(terminal, key_for) -> str:
    return key_for(terminal)


@pytest.fixture
def pos(terminal_key) -> ApiClient:
    return ApiClient(new_client(), {"Authorization": f"Bearer {terminal_key}"})


@pytest.fixture
def make_member(owner, stores) -> Callable[..., Member]:
    def make(
        name: str = "张三丰",
        mobile: str = "13812345678",
        store=None,
        actor: Actor | None = None,
        **extra: Any,
    ) -> Member:
        return services.member_register(
            actor=actor or owner,
            data=MemberInput(name=name, mobile=mobile, **extra),
            channel="store",
            store_id=(store or stores[0]).pk,
        )

    return make


def snapshot() -> tuple[list[dict[str, Any]], int]:
    """What a refused request must leave unchanged: every member row and the audit count."""
    return list(Member.objects.order_by("pk").values()), AuditEvent.objects.count()


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def translated(msgid: str, language: str = "zh-hans") -> str:
    """``msgid`` as a caller speaking ``language`` reads it (zh-hans is the default)."""
    with translation.override(language):
        return translation.gettext(msgid)
