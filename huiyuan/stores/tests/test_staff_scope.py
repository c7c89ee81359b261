"""A store manager manages its store's staff (``staff.manage`` within its scope).

It adds, edits, disables, unlocks and gives new passwords to the cashiers and store managers
who work at its stores only; it never touches another store's staff, someone who also works
elsewhere, the owner or a head-office role, and never gives a role beyond its own (a
chain-wide one included) nor a store outside its scope. Each refusal has its own code and
changes nothing. Head office keeps managing everyone but owners.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt

from conftest import PASSWORD, make_staff
from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.stores import edits, services, signin
from huiyuan.stores.models import Staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(staff, stores):
    """Beyond one per role: a cashier of the second store, one of both stores, and an HQ
    admin and an owner who were given the first store (they stay chain-wide roles)."""
    return {
        "east": make_staff("east", Role.CASHIER, [stores[1]]),
        "both": make_staff("both", Role.CASHIER, [stores[0], stores[1]]),
        "hq_here": make_staff("hq_here", Role.HQ_ADMIN, [stores[0]]),
        "owner_here": make_staff("owner_here", Role.OWNER, [stores[0]]),
        "peer": make_staff("peer", Role.STORE_MANAGER, [stores[0]]),
    }


def snapshot():
    rows = Staff.objects.order_by("pk")
    return (
        list(rows.values("pk", "username", "display_name", "role", "is_active", "password")),
        sorted(Staff.stores.through.objects.values_list("staff_id", "store_id")),
        AuditEvent.objects.count(),
    )


def refused(call, exc_type: type[DomainError], code: str) -> None:
    before = snapshot()
    with pytest.raises(exc_type) as caught:
        call()
    assert caught.value.code == code
    assert snapshot() == before


def test_a_store_manager_adds_cashiers_and_managers_of_its_store(actors, stores):
    manager = actors[Role.STORE_MANAGER]
    for username, role in (("new_cashier", Role.CASHIER), ("new_manager", Role.STORE_MANAGER)):
        created = services.staff_create(
            actor=manager,
            username=username,
            display_name=username,
            role=role,
            password="Fresh-pass-2026",
            store_ids=[stores[0].pk],
        )
        assert (created.role, [s.pk for s in created.stores.all()]) == (role, [stores[0].pk])
    assert AuditEvent.objects.filter(action="staff.created").count() == 2


@pytest.mark.parametrize(
    ("role", "store", "exc_type", "code"),
    [
        (Role.HQ_ADMIN, 0, PermissionDenied, "role_forbidden"),
        (Role.CALL_CENTER, 0, PermissionDenied, "role_forbidden"),  # chain-wide
        (Role.MARKETER, 0, PermissionDenied, "role_forbidden"),  # gift.manage etc.: not its
        (Role.OWNER, 0, PermissionDenied, "owner_only"),
        (Role.CASHIER, 1, PermissionDenied, "store_forbidden"),
    ],
)
def test_a_store_manager_creates_nothing_beyond_itself(actors, stores, role, store, exc_type, code):
    refused(
        lambda: services.staff_create(
            actor=actors[Role.STORE_MANAGER],
            username="x",
            display_name="x",
            role=role,
            password="Fresh-pass-2026",
            store_ids=[stores[store].pk],
        ),
        exc_type,
        code,
    )


def test_a_store_manager_edits_its_cashier(actors, staff, stores):
    cashier = staff[Role.CASHIER]
    edits.staff_update(
        actor=actors[Role.STORE_MANAGER],
        staff_id=cashier.pk,
        display_name="李收银",
        role=Role.STORE_MANAGER,  # promoted to its own level
        store_ids=[stores[0].pk],
        mobile="13800001234",
    )
    cashier.refresh_from_db()
    assert (cashier.display_name, cashier.role) == ("李收银", Role.STORE_MANAGER)
    assert AuditEvent.objects.get(action="staff.updated").after["role"] == "store_manager"


@pytest.mark.parametrize(
    ("target", "role", "store_indexes", "exc_type", "code"),
    [
        ("cashier", Role.HQ_ADMIN, [0], PermissionDenied, "role_forbidden"),
        ("cashier", Role.CALL_CENTER, [0], PermissionDenied, "role_forbidden"),
        ("cashier", Role.OWNER, [0], PermissionDenied, "owner_only"),
        ("cashier", Role.CASHIER, [0, 1], PermissionDenied, "store_forbidden"),
        ("east", Role.CASHIER, [0], NotFound, "unknown_staff"),  # another store's
        ("both", Role.CASHIER, [0], PermissionDenied, "store_forbidden"),  # works elsewhere too
        ("hq_here", Role.HQ_ADMIN, [0], PermissionDenied, "staff_forbidden"),
        ("owner_here", Role.OWNER, [0], PermissionDenied, "owner_only"),
    ],
)
def test_a_store_manager_edits_nobody_beyond_itself(
    actors, staff, stores, people, target, role, store_indexes, exc_type, code
):
    person = staff[Role.CASHIER] if target == "cashier" else people[target]
    refused(
        lambda: edits.staff_update(
            actor=actors[Role.STORE_MANAGER],
            staff_id=person.pk,
            display_name="改名",
            role=role,
            store_ids=[stores[i].pk for i in store_indexes],
        ),
        exc_type,
        code,
    )


def test_a_store_manager_disables_and_enables_its_staff(actors, staff, people):
    manager = actors[Role.STORE_MANAGER]
    for person in (staff[Role.CASHIER], people["peer"]):
        services.staff_set_active(actor=manager, staff_id=person.pk, active=False)
        person.refresh_from_db()
        assert not person.is_active
        services.staff_set_active(actor=manager, staff_id=person.pk, active=True)
    assert AuditEvent.objects.filter(action="staff.disabled").count() == 2


@pytest.mark.parametrize(
    ("target", "exc_type", "code"),
    [
        ("east", NotFound, "unknown_staff"),
        ("both", PermissionDenied, "store_forbidden"),
        ("hq_here", PermissionDenied, "staff_forbidden"),
        ("owner_here", PermissionDenied, "owner_only"),
        ("hq", NotFound, "unknown_staff"),  # head office, of no store
    ],
)
def test_a_store_manager_disables_nobody_beyond_itself(
    actors, staff, people, target, exc_type, code
):
    person = staff[Role.HQ_ADMIN] if target == "hq" else people[target]
    refused(
        lambda: services.staff_set_active(
            actor=actors[Role.STORE_MANAGER], staff_id=person.pk, active=False
        ),
        exc_type,
        code,
    )


def test_a_store_manager_gives_its_cashier_a_new_password(actors, staff):
    cashier = staff[Role.CASHIER]
    refused(
        lambda: services.staff_password_reset(
            actor=actors[Role.STORE_MANAGER], staff_id=cashier.pk, new_password="12345678"
        ),
        ValidationFailed,
        "weak_password",
    )
    services.staff_password_reset(
        actor=actors[Role.STORE_MANAGER], staff_id=cashier.pk, new_password="New-counter-77"
    )
    cashier.refresh_from_db()
    assert cashier.check_password("New-counter-77") and not cashier.check_password(PASSWORD)
    event = AuditEvent.objects.get(action="staff.password_reset")
    assert (event.actor.username, event.subject_id) == ("manager", str(cashier.pk))
    assert "New-counter-77" not in str(event.after) + str(event.before) + event.note


@pytest.mark.parametrize(
    ("target", "exc_type", "code"),
    [
        ("self", ValidationFailed, "cannot_reset_own_password"),
        ("east", NotFound, "unknown_staff"),
        ("both", PermissionDenied, "store_forbidden"),
        ("hq_here", PermissionDenied, "staff_forbidden"),
        ("owner_here", PermissionDenied, "owner_only"),
    ],
)
def test_a_store_manager_resets_no_password_beyond_itself(
    actors, staff, people, target, exc_type, code
):
    person = staff[Role.STORE_MANAGER] if target == "self" else people[target]
    refused(
        lambda: services.staff_password_reset(
            actor=actors[Role.STORE_MANAGER], staff_id=person.pk, new_password="New-counter-77"
        ),
        exc_type,
        code,
    )


def test_a_cashier_manages_nobody(actors, people):
    refused(
        lambda: services.staff_password_reset(
            actor=actors[Role.CASHIER], staff_id=people["peer"].pk, new_password="New-counter-77"
        ),
        PermissionDenied,
        "permission_denied",
    )


def test_a_store_manager_unlocks_its_cashier_only(actors, staff, people):
    for username in ("cashier", "both"):
        AccessAttempt.objects.create(
            username=username, ip_address="198.51.100.1", user_agent="t", failures_since_start=5
        )
    with pytest.raises(PermissionDenied) as elsewhere:
        signin.staff_unlock(actor=actors[Role.STORE_MANAGER], staff_id=people["both"].pk)
    assert elsewhere.value.code == "store_forbidden"
    assert signin.account_lock("both") is not None
    signin.staff_unlock(actor=actors[Role.STORE_MANAGER], staff_id=staff[Role.CASHIER].pk)
    assert signin.account_lock("cashier") is None


def test_head_office_manages_everyone_but_owners(actors, staff, people):
    hq = actors[Role.HQ_ADMIN]
    services.staff_password_reset(
        actor=hq, staff_id=people["both"].pk, new_password="New-counter-77"
    )
    services.staff_set_active(actor=hq, staff_id=staff[Role.MARKETER].pk, active=False)
    refused(
        lambda: services.staff_set_active(actor=hq, staff_id=people["owner_here"].pk, active=False),
        PermissionDenied,
        "owner_only",
    )
    assert services.staff_roles_grantable(hq) == [
        Role.HQ_ADMIN,
        Role.STORE_MANAGER,
        Role.CASHIER,
        Role.CALL_CENTER,
        Role.MARKETER,
    ]


def test_what_each_may_manage(actors, staff, people):
    manager = actors[Role.STORE_MANAGER]
    assert services.staff_roles_grantable(manager) == [Role.STORE_MANAGER, Role.CASHIER]
    assert services.staff_roles_grantable(actors[Role.OWNER]) == list(Role)
    everyone = {**{r.value: s for r, s in staff.items()}, **people}
    assert sorted(n for n, p in everyone.items() if services.staff_manageable(manager, p)) == [
        "cashier",
        "peer",
        "store_manager",
    ]
    assert not any(services.staff_manageable(actors[Role.CASHIER], p) for p in everyone.values())
