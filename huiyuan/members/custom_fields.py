"""Custom archive fields (自定义字段): edit a definition, set a member's values.

Defining a field is ``services.custom_field_create`` and retiring one (values kept)
``services.custom_field_set_active``. A field's key and kind never change once defined: the
values members already hold were checked against that kind. Editing needs
``member.configure``; setting a member's values needs ``member.edit`` on a member of the
actor's stores (another store's member is "not found"), and each value is checked against
its field's kind (``invalid_custom_field``, ``unknown_custom_field``, ``custom_field_required``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members import services
from huiyuan.members.models import CustomField, Member
from huiyuan.members.selectors import member_in_scope

MAX_LABEL_LENGTH = 40
MAX_CHOICES = 50
MAX_CHOICE_LENGTH = 40


def custom_field_definitions(*, actor: Actor) -> QuerySet[CustomField]:
    """Every definition in display order, active and retired: what a caller who may read
    members needs to read and fill in the values (``selectors.custom_field_list`` is the
    settings page's)."""
    require(actor, Perm.MEMBER_VIEW)
    return CustomField.objects.order_by("position", "id")


def _unknown_field() -> NotFound:
    return NotFound(_("Unknown custom field."), code="unknown_custom_field")


def custom_field_update(
    *,
    actor: Actor,
    field_id: int,
    label: str,
    choices: list[str] | None = None,
    required: bool = False,
    position: int | None = None,
) -> CustomField:
    """Change a field's label, choices (a choice field only), whether it is required and its
    place. Values already recorded are kept, even a choice no longer offered."""
    require(actor, Perm.MEMBER_CONFIGURE)
    label = (label or "").strip()
    if not label or len(label) > MAX_LABEL_LENGTH:
        raise ValidationFailed(_("Enter a label."), code="label_required", field="label")
    cleaned = [c.strip() for c in (choices or []) if c and c.strip()]
    cleaned = list(dict.fromkeys(cleaned))
    if len(cleaned) > MAX_CHOICES or any(len(c) > MAX_CHOICE_LENGTH for c in cleaned):
        raise ValidationFailed(
            _("At most 50 choices of 1 to 40 characters."), code="invalid_choices", field="choices"
        )
    with transaction.atomic():
        definition = CustomField.objects.select_for_update().filter(pk=field_id).first()
        if definition is None:
            raise _unknown_field()
        is_choice = definition.kind == CustomField.Kind.CHOICE
        if is_choice and not cleaned:
            raise ValidationFailed(
                _("A choice field needs choices."), code="choices_required", field="choices"
            )
        if not is_choice and cleaned:
            raise ValidationFailed(
                _("Only a choice field has choices."), code="choices_not_allowed", field="choices"
            )
        before = _state(definition)
        definition.label = label
        definition.choices = cleaned
        definition.required = required
        if position is not None:
            definition.position = position
        after = _state(definition)
        if after != before:
            definition.save(update_fields=["label", "choices", "required", "position"])
            changed = [k for k in after if after[k] != before[k]]
            audit_record(
                actor=actor,
                action="custom_field.updated",
                subject_type="custom_field",
                subject_id=definition.pk,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
    return definition


def _state(definition: CustomField) -> dict[str, Any]:
    return {
        "label": definition.label,
        "choices": list(definition.choices or []),
        "required": definition.required,
        "position": definition.position,
    }


def member_custom_fields_set(*, actor: Actor, member_id: int, values: dict[str, Any]) -> Member:
    """Set some of a member's custom values (``None`` or ``""`` clears one); the others stay.

    Each value must suit its field's kind: a whole number, a ``YYYY-MM-DD`` date, one of a
    choice field's choices, a yes/no, or text of at most 200 characters.
    """
    require(actor, Perm.MEMBER_EDIT)
    member = Member.objects.filter(pk=member_id).only("pk", "home_store_id").first()
    if member is None or not member_in_scope(actor, member):
        raise NotFound(_("Member not found."), code="member_not_found")
    return services.member_update(
        actor=actor, member_id=member_id, changes={"custom_fields": dict(values)}
    )
