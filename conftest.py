"""Fixtures shared by every test: a small chain with staff in every role."""

from __future__ import annotations

import pytest

from huiyuan.core.permissions import Actor, Role
from huiyuan.stores.models import Staff, Store, Terminal

PASSWORD = "Counter-pass-2026"


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Fast hashing in tests; production keeps Django's PBKDF2 default.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Background tasks run inline in tests; the worker's queue is exercised in e2e/demo.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # An app that imports a task module at start-up has built the backends already: tell
    # django-tasks the setting changed, as the ``settings`` fixture would.
    from django.core.signals import setting_changed

    setting_changed.send(sender=type(settings), setting="TASKS", value=settings.TASKS, enter=True)


@pytest.fixture(autouse=True)
def _forget_cached_accounts():
    """Store/system accounts are cached per process; each test starts from its own rows."""
    from huiyuan.checkout.services import _STORE_CACHE
    from huiyuan.ledger.services import accounts_cache_clear

    accounts_cache_clear()
    _STORE_CACHE.clear()
    yield
    accounts_cache_clear()
    _STORE_CACHE.clear()


@pytest.fixture
def stores(db) -> list[Store]:
    return [
        Store.objects.create(code="S01", name="旗舰店"),
        Store.objects.create(code="S02", name="东城店"),
    ]


@pytest.fixture
def terminal(stores) -> Terminal:
    return Terminal.objects.create(store=stores[0], code="POS-01", name="1号收银台")


def make_staff(username: str, role: Role, stores: list[Store]) -> Staff:
    staff = Staff(username=username, display_name=username, role=role)
    staff.set_password(PASSWORD)
    staff.default_store = stores[0] if stores else None
    staff.save()
    staff.stores.set(stores)
    return staff


@pytest.fixture
def staff(stores) -> dict[Role, Staff]:
    """One staff member per role; store-scoped roles work at the first store only."""
    scoped = [stores[0]]
    return {
        Role.OWNER: make_staff("owner", Role.OWNER, []),
        Role.HQ_ADMIN: make_staff("hq", Role.HQ_ADMIN, []),
        Role.STORE_MANAGER: make_staff("manager", Role.STORE_MANAGER, scoped),
        Role.CASHIER: make_staff("cashier", Role.CASHIER, scoped),
        Role.CALL_CENTER: make_staff("agent", Role.CALL_CENTER, []),
        Role.MARKETER: make_staff("marketer", Role.MARKETER, []),
    }


@pytest.fixture
def actors(staff) -> dict[Role, Actor]:
    return {role: s.as_actor() for role, s in staff.items()}


@pytest.fixture
def owner(actors) -> Actor:
    return actors[Role.OWNER]


@pytest.fixture
def cashier(actors) -> Actor:
    return actors[Role.CASHIER]
