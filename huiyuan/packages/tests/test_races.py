"""Real threads on PostgreSQL: concurrent uses of one card never exceed its count."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from huiyuan.core.races import race
from huiyuan.ledger.tests.factories import key
from huiyuan.packages.models import PackageItem, PackageUse
from huiyuan.packages.services import package_use
from huiyuan.packages.tests.conftest import packages_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def test_twenty_cashiers_on_a_ten_visit_card_make_exactly_ten_uses(
    plan_set, member_card, sell, cashier
):
    package = packages_of(sell(plan_set.swim10, member_card))[0]
    sides = [
        (lambda: package_use(actor=cashier, package_id=package.pk, idempotency_key=key()))
        for _ in range(20)
    ]
    results = race(*sides)
    outcome = Counter(r if isinstance(r, str) else "used" for r in results)
    assert outcome == {"used": 10, "package_used_up": 10}, outcome
    item = PackageItem.objects.get(package=package)
    assert (item.total, item.used) == (10, 10)
    assert PackageUse.objects.filter(package=package).count() == 10
    assert sorted(u.remaining_after for u in PackageUse.objects.filter(package=package)) == list(
        range(10)
    )


def test_a_daily_limit_holds_under_a_race(plan_set, member_card, sell, cashier):
    package = packages_of(sell(plan_set.monthly, member_card))[0]
    sides = [
        (lambda: package_use(actor=cashier, package_id=package.pk, idempotency_key=key()))
        for _ in range(8)
    ]
    results = race(*sides)
    outcome = Counter(r if isinstance(r, str) else "used" for r in results)
    assert outcome == {"used": 1, "package_limit_reached": 7}, outcome
