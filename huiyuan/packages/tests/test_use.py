"""One use per visit: decided under the package's lock, on the store's local date."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.tests.factories import key
from huiyuan.members import services as member_services
from huiyuan.packages import plans
from huiyuan.packages.models import MemberPackage, PackageItem, PackageUse
from huiyuan.packages.services import package_use, package_use_undo
from huiyuan.packages.tests.conftest import packages_of, state

UTC = dt.UTC


def _left(package: MemberPackage) -> list[int | None]:
    return [i.remaining for i in PackageItem.objects.filter(package=package)]


def test_a_use_takes_one_visit_with_audit_and_event(plan_set, member_card, sell, cashier):
    package = packages_of(sell(plan_set.swim10, member_card))[0]
    use = package_use(actor=cashier, package_id=package.pk, note="前台", idempotency_key=key())
    assert use.remaining_after == 9
    assert _left(package) == [9]
    assert use.store_id == cashier.store_id
    assert AuditEvent.objects.filter(action="package.used", subject_id=str(package.pk)).exists()
    event = OutboxEvent.objects.get(name="package.used")
    assert event.payload == {
        "package_id": package.pk,
        "use_id": use.pk,
        "item_id": use.item_id,
        "remaining": 9,
    }
    assert event.member_id == member_card.member_id


def test_a_replayed_use_is_the_same_use(plan_set, member_card, sell, cashier):
    package = packages_of(sell(plan_set.swim10, member_card))[0]
    k = key()
    first = package_use(actor=cashier, package_id=package.pk, idempotency_key=k)
    again = package_use(actor=cashier, package_id=package.pk, idempotency_key=k)
    assert again.pk == first.pk
    assert _left(package) == [9]


def test_a_used_up_card_refuses_and_nothing_changes(plan_set, member_card, sell, cashier):
    package = packages_of(sell(plan_set.swim10, member_card))[0]
    PackageItem.objects.filter(package=package).update(used=10)
    before = state(package)
    with pytest.raises(DomainError) as refused:
        package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    assert refused.value.code == "package_used_up"
    assert state(package) == before


def test_per_day_limit_counts_the_local_day_at_0730_shanghai(
    plan_set, member_card, sell, cashier, clock
):
    clock(dt.datetime(2026, 11, 10, 2, 0, tzinfo=UTC))  # 10:00 on 11-10 in Shanghai
    package = packages_of(sell(plan_set.monthly, member_card))[0]
    assert package.valid_from == dt.date(2026, 11, 10)
    assert package.valid_until == dt.date(2026, 12, 9)
    clock(dt.datetime(2026, 11, 10, 15, 0, tzinfo=UTC))  # 23:00 on 11-10 local
    package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    # 23:30 UTC on 11-10 is 07:30 on 11-11 in Shanghai: a new local day, a new visit.
    clock(dt.datetime(2026, 11, 10, 23, 30, tzinfo=UTC))
    use = package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    assert use.business_date == dt.date(2026, 11, 11)
    # A second visit on 11-11 (local), though the UTC date is still 11-10.
    clock(dt.datetime(2026, 11, 10, 23, 45, tzinfo=UTC))
    before = state(package)
    with pytest.raises(DomainError) as refused:
        package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    assert refused.value.code == "package_limit_reached"
    assert refused.value.details == {"limit": 1, "used": 1}
    assert state(package) == before


def test_validity_ends_on_the_local_date(plan_set, member_card, sell, cashier, clock):
    clock(dt.datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    package = packages_of(sell(plan_set.monthly, member_card))[0]
    clock(dt.datetime(2026, 12, 9, 15, 59, tzinfo=UTC))  # 23:59 on 12-09 local: last day
    package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    clock(dt.datetime(2026, 12, 9, 16, 0, tzinfo=UTC))  # 00:00 on 12-10 local
    before = state(package)
    with pytest.raises(DomainError) as refused:
        package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    assert refused.value.code == "package_expired"
    assert state(package) == before


def test_validity_from_first_use(owner, member_card, sell, cashier, clock, plan_set):
    plan = plans.plan_update(
        actor=owner,
        plan_id=plan_set.swim10.pk,
        data=plans.PlanInput(
            product_id=plan_set.swim10.product_id,
            name="游泳10次卡",
            kind="count",
            items=[plans.ItemInput(name="游泳", uses=10)],
            validity_value=30,
            activation="first_use",
        ),
    )
    clock(dt.datetime(2026, 11, 1, 2, 0, tzinfo=UTC))
    package = packages_of(sell(plan, member_card))[0]
    assert (package.valid_from, package.valid_until) == (None, None)
    clock(dt.datetime(2026, 11, 14, 23, 30, tzinfo=UTC))  # 07:30 on 11-15 local
    package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    package.refresh_from_db()
    assert (package.valid_from, package.valid_until) == (
        dt.date(2026, 11, 15),
        dt.date(2026, 12, 14),
    )


def test_a_course_card_names_the_item(plan_set, member_card, sell, cashier):
    package = packages_of(sell(plan_set.course, member_card))[0]
    before = state(package)
    with pytest.raises(DomainError) as refused:
        package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    assert refused.value.code == "item_required"
    assert state(package) == before
    strength = package.items.get(name="力量")
    package_use(actor=cashier, package_id=package.pk, item_id=strength.pk, idempotency_key=key())
    assert _left(package) == [3, 4]


def test_only_the_plans_stores_accept_it(owner, stores, member_card, sell, cashier, plan_set):
    plan = plans.plan_update(
        actor=owner,
        plan_id=plan_set.swim10.pk,
        data=plans.PlanInput(
            product_id=plan_set.swim10.product_id,
            name="游泳10次卡",
            kind="count",
            items=[plans.ItemInput(name="游泳", uses=10)],
            all_stores=False,
            store_ids=[stores[1].pk],
        ),
    )
    package = packages_of(sell(plan, member_card))[0]
    before = state(package)
    with pytest.raises(DomainError) as refused:
        package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    assert refused.value.code == "package_store_not_allowed"
    assert state(package) == before


def test_a_frozen_member_cannot_use(plan_set, member_card, sell, cashier, owner):
    package = packages_of(sell(plan_set.swim10, member_card))[0]
    member_services.member_freeze(
        actor=owner, member_id=member_card.member_id, earning=False, spending=True, reason="x"
    )
    before = state(package)
    with pytest.raises(DomainError) as refused:
        package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    assert refused.value.code == "member_spend_frozen"
    assert state(package) == before


def test_a_manager_undoes_a_use_once(plan_set, member_card, sell, cashier, actors):
    package = packages_of(sell(plan_set.swim10, member_card))[0]
    use = package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    with pytest.raises(DomainError) as refused:
        package_use_undo(actor=cashier, use_id=use.pk, reason="误操作", idempotency_key=key())
    assert refused.value.code == "permission_denied"
    manager = actors[Role.STORE_MANAGER]
    undo = package_use_undo(actor=manager, use_id=use.pk, reason="误操作", idempotency_key=key())
    assert undo.kind == PackageUse.Kind.UNDO and undo.reverses_id == use.pk
    assert _left(package) == [10]
    assert OutboxEvent.objects.filter(name="package.use_undone").count() == 1
    before = state(package)
    with pytest.raises(DomainError) as again:
        package_use_undo(actor=manager, use_id=use.pk, reason="再撤", idempotency_key=key())
    assert again.value.code == "use_already_undone"
    assert state(package) == before


def test_an_undone_use_no_longer_counts_for_the_day(plan_set, member_card, sell, cashier, actors):
    package = packages_of(sell(plan_set.monthly, member_card))[0]
    use = package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    package_use_undo(
        actor=actors[Role.STORE_MANAGER], use_id=use.pk, reason="刷错了", idempotency_key=key()
    )
    package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    assert PackageUse.objects.filter(package=package, kind="use").count() == 2
