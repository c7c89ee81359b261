"""Custom archive fields (自定义字段): define, list, edit, retire; a member's values.

Reading definitions needs ``member.view`` (scope ``members:read``), defining and editing
``member.configure`` (scope ``configure``), setting a member's values ``member.edit`` (scope
``members:write``) on a member of the caller's stores — another store's member answers
``member_not_found``. Values are checked against the field's kind. Every write takes an
``Idempotency-Key``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_once
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey
from huiyuan.api.schemas.settings_api import (
    CustomFieldActiveIn,
    CustomFieldCreateIn,
    CustomFieldOut,
    CustomFieldUpdateIn,
    MemberCustomFieldsIn,
    MemberCustomFieldsOut,
)
from huiyuan.members import custom_fields
from huiyuan.members import services as member_services
from huiyuan.members.models import CustomField, Member

router = Router(tags=["custom fields"])

FieldId = Path(..., ge=1, le=MAX_ID, description="Custom field id.")
MemberId = Path(..., ge=1, le=MAX_ID, description="Member id.")


def _field(pk: int) -> CustomField:
    return CustomField.objects.get(pk=pk)


@router.get(
    "/custom-fields",
    response={200: list[CustomFieldOut], **ERRORS},
    summary="Custom archive fields (active and retired)",
)
def custom_field_list(request: HttpRequest) -> list[CustomField]:
    return list(custom_fields.custom_field_definitions(actor=actor_of(request)))


@router.post(
    "/custom-fields", response={201: CustomFieldOut, **ERRORS}, summary="Define a custom field"
)
def custom_field_create(
    request: HttpRequest, payload: CustomFieldCreateIn, idempotency_key: str = IdempotencyKey
) -> Status[CustomField]:
    definition = run_once(
        request,
        idempotency_key,
        "custom_field.create",
        payload.dict(),
        lambda: member_services.custom_field_create(actor=actor_of(request), **payload.dict()),
        _field,
    )
    return Status(201, definition)


@router.put(
    "/custom-fields/{int:field_id}",
    response={200: CustomFieldOut, **ERRORS},
    summary="Edit a custom field (label, choices, required, position; key and kind stay)",
)
def custom_field_update(
    request: HttpRequest,
    payload: CustomFieldUpdateIn,
    field_id: int = FieldId,
    idempotency_key: str = IdempotencyKey,
) -> CustomField:
    return run_once(
        request,
        idempotency_key,
        f"custom_field.update.{field_id}",
        payload.dict(),
        lambda: custom_fields.custom_field_update(
            actor=actor_of(request), field_id=field_id, **payload.dict()
        ),
        _field,
    )


@router.post(
    "/custom-fields/{int:field_id}/active",
    response={200: CustomFieldOut, **ERRORS},
    summary="Retire a custom field (values kept), or bring it back",
)
def custom_field_set_active(
    request: HttpRequest,
    payload: CustomFieldActiveIn,
    field_id: int = FieldId,
    idempotency_key: str = IdempotencyKey,
) -> CustomField:
    return run_once(
        request,
        idempotency_key,
        f"custom_field.active.{field_id}",
        payload.dict(),
        lambda: member_services.custom_field_set_active(
            actor=actor_of(request), field_id=field_id, active=payload.active
        ),
        _field,
    )


@router.put(
    "/members/{int:member_id}/custom-fields",
    response={200: MemberCustomFieldsOut, **ERRORS},
    summary="Set a member's custom field values (the keys sent; null clears one)",
)
def member_custom_fields_set(
    request: HttpRequest,
    payload: MemberCustomFieldsIn,
    member_id: int = MemberId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    member = run_once(
        request,
        idempotency_key,
        f"member.custom_fields.{member_id}",
        payload.dict(),
        lambda: custom_fields.member_custom_fields_set(
            actor=actor_of(request), member_id=member_id, values=payload.values
        ),
        lambda pk: Member.objects.get(pk=pk),
    )
    return {"member_id": member.pk, "values": dict(member.custom_fields or {})}
