"""Tags and custom fields: the lists and showing/hiding a field (M1 configuration)."""

from __future__ import annotations

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import NotFound, PermissionDenied
from huiyuan.core.permissions import Role
from huiyuan.members import selectors, services
from huiyuan.members.models import CustomField
from huiyuan.members.services import MemberInput

pytestmark = pytest.mark.django_db


def test_tag_list_counts_members(owner, cashier, stores):
    services.tag_create(actor=owner, name="VIP")
    services.tag_create(actor=owner, name="宝妈")
    services.member_register(
        actor=cashier,
        data=MemberInput(name="张三", mobile="13800000001", tags=["VIP"]),
        channel="store",
    )
    rows = [(t.name, t.member_count) for t in selectors.tag_list(actor=owner)]
    assert rows == [("VIP", 1), ("宝妈", 0)]


def test_lists_need_member_configure(actors, stores):
    for role in (Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER):
        with pytest.raises(PermissionDenied):
            selectors.tag_list(actor=actors[role])
        with pytest.raises(PermissionDenied):
            selectors.custom_field_list(actor=actors[role])


def test_custom_field_set_active_hides_and_shows(owner, stores):
    plate = services.custom_field_create(actor=owner, key="plate", label="车牌号", kind="text")
    skin = services.custom_field_create(actor=owner, key="skin", label="肤质", kind="text")
    hidden = services.custom_field_set_active(actor=owner, field_id=plate.pk, active=False)
    assert hidden.is_active is False
    assert [(f.key, f.is_active) for f in selectors.custom_field_list(actor=owner)] == [
        ("plate", False),
        ("skin", True),
    ]
    event = AuditEvent.objects.get(action="custom_field.disabled")
    assert (event.subject_id, event.before, event.after) == (
        str(plate.pk),
        {"is_active": True},
        {"is_active": False},
    )
    services.custom_field_set_active(actor=owner, field_id=plate.pk, active=True)
    plate.refresh_from_db()
    assert plate.is_active is True
    assert AuditEvent.objects.filter(action="custom_field.enabled").count() == 1
    assert skin.is_active is True


def test_setting_the_same_state_records_nothing(owner, stores):
    plate = services.custom_field_create(actor=owner, key="plate", label="车牌号", kind="text")
    events = AuditEvent.objects.count()
    services.custom_field_set_active(actor=owner, field_id=plate.pk, active=True)
    assert AuditEvent.objects.count() == events


def test_custom_field_set_active_refusals_change_nothing(owner, actors, stores):
    plate = services.custom_field_create(actor=owner, key="plate", label="车牌号", kind="text")
    before = (list(CustomField.objects.values()), AuditEvent.objects.count())
    with pytest.raises(PermissionDenied):
        services.custom_field_set_active(
            actor=actors[Role.STORE_MANAGER], field_id=plate.pk, active=False
        )
    with pytest.raises(NotFound):
        services.custom_field_set_active(actor=owner, field_id=plate.pk + 99, active=False)
    assert (list(CustomField.objects.values()), AuditEvent.objects.count()) == before
