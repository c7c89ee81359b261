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
    _flush_only_tables_with_rows()


def _flush_only_tables_with_rows() -> None:
    """Empty a PostgreSQL test database by deleting the rows that are there.

    A transactional test ends with Django's flush: one TRUNCATE of every table, which costs
    PostgreSQL file work per table (seconds for ~300 tables and their indexes) although a
    test fills a few dozen. Deleting the rows of the tables that hold any, with the foreign
    keys checked at commit (Django makes them deferrable), leaves the same empty database
    (content types and permissions stay: the post_migrate that follows would recreate them).
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    kept = {"django_content_type", "auth_permission"}  # post_migrate would write them again
    truncate_all = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables:
            return truncate_all(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        quote = self.quote_name
        probe = " UNION ALL ".join(
            f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})"  # noqa: S608 (table names)
            for table in tables
        )
        with self.connection.cursor() as cursor:
            cursor.execute(probe, list(tables))
            filled = [row[0] for row in cursor.fetchall() if row[0] not in kept]
        return ["SET CONSTRAINTS ALL DEFERRED"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(quote(table))};"
            for table in filled
        ]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


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
