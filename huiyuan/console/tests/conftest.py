"""Console fixtures: logged-in clients per role and members made through the services."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Actor, Role
from huiyuan.members import services
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput


@pytest.fixture
def client_for(staff) -> Callable[[Role], Client]:
    def make(role: Role) -> Client:
        client = Client()
        client.force_login(staff[role])
        return client

    return make


@pytest.fixture
def owner_client(client_for) -> Client:
    return client_for(Role.OWNER)


@pytest.fixture
def cashier_client(client_for) -> Client:
    return client_for(Role.CASHIER)


@pytest.fixture
def make_member(cashier) -> Callable[..., Member]:
    def make(
        name: str = "张三丰",
        mobile: str = "13812345678",
        actor: Actor | None = None,
        store_id: int | None = None,
        **extra,
    ) -> Member:
        return services.member_register(
            actor=actor or cashier,
            data=MemberInput(name=name, mobile=mobile, **extra),
            channel="store",
            store_id=store_id,
        )

    return make


def snapshot() -> tuple[list[dict], int]:
    """Everything a refused request must leave unchanged."""
    return list(Member.objects.order_by("pk").values()), AuditEvent.objects.count()
