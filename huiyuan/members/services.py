"""Writes to the member archive: register, edit, lifecycle, merge (M1–M4).

Each service checks permission and store scope, validates everything before it writes,
locks the member row, and records an audit event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core import china, pii
from huiyuan.core.bounds import is_visible, strip_invisible
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.events.services import event_emit
from huiyuan.members.models import CustomField, Member, Tag
from huiyuan.stores.models import Store

MAX_NAME_LENGTH = 50
MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True)
class LunarDate:
    year: int
    month: int
    day: int
    leap: bool = False


@dataclass
class MemberInput:
    """Archive fields as typed by staff or sent by an integrator, before validation."""

    name: str
    mobile: str
    gender: str = Member.Gender.UNKNOWN
    birthday: dt.date | None = None
    lunar_birthday: LunarDate | None = None
    id_number: str = ""
    region: str = ""
    address: str = ""
    occupation: str = ""
    preferences: str = ""
    email: str = ""
    custom_fields: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    referrer_code: str = ""
    consent: bool = True


# Fields an edit may change, and how each appears in the audit log.
EDITABLE_FIELDS = (
    "name",
    "mobile",
    "gender",
    "birthday",
    "lunar_birthday",
    "id_number",
    "region",
    "address",
    "occupation",
    "preferences",
    "email",
    "custom_fields",
    "tags",
)

# Later apps (cards, wallet, points…) register what a merge must move to the survivor.
MergeStep = Callable[[Actor, Member, Member], None]
MERGE_STEPS: list[MergeStep] = []


def register_merge_step(step: MergeStep) -> MergeStep:
    MERGE_STEPS.append(step)
    return step


# ---------------------------------------------------------------- validation helpers


def _clean_name(name: str) -> str:
    """Spaces collapsed, invisible characters trimmed from the ends; a name that shows
    nothing (only spaces, zero-width spaces, joiners, BOMs, control characters) is blank."""
    name = strip_invisible(" ".join((name or "").split()))
    if not is_visible(name):
        raise ValidationFailed(_("Enter the member's name."), code="name_required", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            _("A name has at most 50 characters."), code="name_too_long", field="name"
        )
    return name


def _clean_email(email: str | None) -> str:
    """An address Django's ``EmailValidator`` accepts, or "" for none."""
    email = (email or "").strip()
    if not email:
        return ""
    try:
        if len(email) > MAX_EMAIL_LENGTH:
            raise DjangoValidationError("too long")
        EmailValidator()(email)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            _("Enter a valid e-mail address."), code="invalid_email", field="email"
        ) from exc
    return email


def _clean_gender(gender: str) -> str:
    if gender not in Member.Gender.values:
        raise ValidationFailed(_("Unknown gender."), code="invalid_gender", field="gender")
    return gender


def _birthday_fields(birthday: dt.date | None, lunar: LunarDate | None) -> dict[str, Any]:
    today = timezone.localdate()
    if lunar is not None:
        solar = china.lunar_to_solar(lunar.year, lunar.month, lunar.day, leap=lunar.leap)
        fields = {
            "birthday": solar,
            "birthday_calendar": Member.Calendar.LUNAR,
            "lunar_birth_month": lunar.month,
            "lunar_birth_day": lunar.day,
            "lunar_birth_leap": lunar.leap,
        }
    else:
        fields = {
            "birthday": birthday,
            "birthday_calendar": Member.Calendar.SOLAR,
            "lunar_birth_month": None,
            "lunar_birth_day": None,
            "lunar_birth_leap": False,
        }
    born = fields["birthday"]
    if isinstance(born, dt.date) and not (dt.date(1900, 1, 1) <= born <= today):
        raise ValidationFailed(
            _("The birthday must lie between 1900 and today."),
            code="invalid_birthday",
            field="birthday",
        )
    return fields


def _clean_custom_fields(
    values: dict[str, Any], *, partial_of: dict[str, Any] | None = None
) -> dict[str, Any]:
    definitions = {f.key: f for f in CustomField.objects.filter(is_active=True)}
    unknown = sorted(set(values) - set(definitions))
    if unknown:
        raise ValidationFailed(
            _("Unknown custom field: %(keys)s.") % {"keys": ", ".join(unknown)},
            code="unknown_custom_field",
            field="custom_fields",
        )
    cleaned: dict[str, Any] = dict(partial_of or {})
    for key, definition in definitions.items():
        if key not in values:
            continue
        value = values[key]
        if value in (None, ""):
            cleaned.pop(key, None)
            continue
        cleaned[key] = _coerce_custom(definition, value)
    for key, definition in definitions.items():
        if definition.required and cleaned.get(key) in (None, ""):
            raise ValidationFailed(
                _("%(label)s is required.") % {"label": definition.label},
                code="custom_field_required",
                field=f"custom_fields.{key}",
            )
    return cleaned


def _coerce_custom(definition: CustomField, value: Any) -> Any:
    bad = ValidationFailed(
        _("%(label)s: invalid value.") % {"label": definition.label},
        code="invalid_custom_field",
        field=f"custom_fields.{definition.key}",
    )
    kind = definition.kind
    if kind == CustomField.Kind.NUMBER:
        if isinstance(value, bool):
            raise bad
        try:
            return int(str(value).strip())
        except ValueError as exc:
            raise bad from exc
    if kind == CustomField.Kind.DATE:
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError as exc:
            raise bad from exc
    if kind == CustomField.Kind.BOOL:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes", "on"):
            return True
        if str(value).lower() in ("0", "false", "no", "off"):
            return False
        raise bad
    text = str(value).strip()
    if len(text) > 200:
        raise bad
    if kind == CustomField.Kind.CHOICE and text not in definition.choices:
        raise bad
    return text


def _resolve_tags(names: list[str]) -> list[Tag]:
    wanted = sorted({n.strip() for n in names if n and n.strip()})
    tags = list(Tag.objects.filter(name__in=wanted))
    missing = sorted(set(wanted) - {t.name for t in tags})
    if missing:
        raise ValidationFailed(
            _("Unknown tag: %(names)s.") % {"names": ", ".join(missing)},
            code="unknown_tag",
            field="tags",
        )
    return tags


def _mobile_fields(raw: str, *, exclude_member_id: int | None = None) -> dict[str, str]:
    mobile = china.normalize_mobile(raw)
    digest = pii.keyed_hash(mobile)
    taken = Member.objects.filter(mobile_hash=digest)
    if exclude_member_id is not None:
        taken = taken.exclude(pk=exclude_member_id)
    if taken.exists():
        raise Conflict(
            _("This mobile number already belongs to a member."),
            code="duplicate_mobile",
            field="mobile",
        )
    return {
        "mobile_enc": pii.encrypt(mobile),
        "mobile_hash": digest,
        "mobile_masked": pii.mask_mobile(mobile),
        "mobile_last4": mobile[-4:],
    }


def _id_number_fields(raw: str) -> dict[str, str]:
    if not (raw or "").strip():
        return {"id_number_enc": "", "id_number_hash": "", "id_number_masked": ""}
    number = china.normalize_id_number(raw)
    return {
        "id_number_enc": pii.encrypt(number),
        "id_number_hash": pii.keyed_hash(number),
        "id_number_masked": pii.mask_id_number(number),
    }


def _name_fields(raw: str) -> dict[str, str]:
    name = _clean_name(raw)
    return {
        "name": name,
        "name_pinyin": china.pinyin_full(name),
        "name_initials": china.pinyin_initials(name),
    }


def _new_member_code() -> str:
    while True:
        code = f"8{secrets.randbelow(10**9):09d}"
        if not Member.objects.filter(code=code).exists():
            return code


def audit_view(member: Member) -> dict[str, Any]:
    """The member as the audit log records it: personal data masked, never plain."""
    return {
        "name": member.name,
        "mobile": member.mobile_masked,
        "gender": member.gender,
        "birthday": member.birthday.isoformat() if member.birthday else None,
        "birthday_calendar": member.birthday_calendar,
        "id_number": member.id_number_masked,
        "region": member.region,
        "address": "****" if member.address_enc else "",
        "occupation": member.occupation,
        "preferences": member.preferences,
        "email": member.email,
        "custom_fields": member.custom_fields,
        "tags": sorted(t.name for t in member.tags.all()),
        "status": member.status,
        "earn_frozen": member.earn_frozen,
        "spend_frozen": member.spend_frozen,
        "home_store_id": member.home_store_id,
    }


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _locked(member_id: int) -> Member:
    try:
        return Member.objects.select_for_update().get(pk=member_id)
    except Member.DoesNotExist as exc:
        raise NotFound(_("Member not found."), code="member_not_found") from exc


def _require_member_scope(actor: Actor, perm: Perm, member: Member) -> None:
    require(actor, perm, store_id=member.home_store_id, check_store=True)


# ---------------------------------------------------------------------- services


def member_register(
    *,
    actor: Actor,
    data: MemberInput,
    channel: str,
    store_id: int | None = None,
) -> Member:
    """Register a member at ``store_id`` (default: the actor's store) through ``channel``."""
    require(actor, Perm.MEMBER_CREATE)
    if channel not in Member.Channel.values:
        raise ValidationFailed(_("Unknown channel."), code="invalid_channel", field="channel")
    store_id = store_id if store_id is not None else actor.store_id
    if store_id is None:
        raise ValidationFailed(
            _("Choose the joining store."), code="store_required", field="store_id"
        )
    store = Store.objects.filter(pk=store_id, is_active=True).first()
    if store is None:
        raise NotFound(_("Unknown store."), code="unknown_store", field="store_id")
    require(actor, Perm.MEMBER_CREATE, store_id=store.pk, check_store=True)

    fields: dict[str, Any] = {
        **_name_fields(data.name),
        "gender": _clean_gender(data.gender),
        **_birthday_fields(data.birthday, data.lunar_birthday),
        **_id_number_fields(data.id_number),
        "region": data.region.strip()[:100],
        "address_enc": pii.encrypt(data.address.strip()[:200]),
        "occupation": data.occupation.strip()[:50],
        "preferences": data.preferences.strip()[:1000],
        "email": _clean_email(data.email),
        "custom_fields": _clean_custom_fields(data.custom_fields),
    }
    tags = _resolve_tags(data.tags)
    referrer = None
    if data.referrer_code:
        referrer = Member.objects.filter(code=data.referrer_code.strip()).first()
        if referrer is None:
            raise NotFound(_("Unknown referrer."), code="unknown_referrer", field="referrer_code")
    if not data.consent:
        raise ValidationFailed(
            _("The member must accept the member charter."),
            code="consent_required",
            field="consent",
        )
    now = timezone.now()
    with transaction.atomic():
        fields.update(_mobile_fields(data.mobile))
        try:
            with transaction.atomic():
                member = Member.objects.create(
                    code=_new_member_code(),
                    channel=channel,
                    home_store=store,
                    registered_by=actor.staff,
                    referrer=referrer,
                    joined_at=now,
                    last_activity_at=now,
                    consent_at=now,
                    **fields,
                )
        except IntegrityError as exc:  # a concurrent registration took the mobile
            raise Conflict(
                _("This mobile number already belongs to a member."),
                code="duplicate_mobile",
                field="mobile",
            ) from exc
        member.tags.set(tags)
        audit_record(
            actor=actor,
            action="member.registered",
            subject_type="member",
            subject_id=member.pk,
            member_id=member.pk,
            after=audit_view(member),
            note=str(Member.Channel(channel).label),
            store_id=store.pk,
        )
        event_emit(
            "member.registered",
            payload={"channel": channel, "referrer_id": referrer.pk if referrer else None},
            member_id=member.pk,
            store_id=store.pk,
        )
    return member


def member_update(*, actor: Actor, member_id: int, changes: dict[str, Any]) -> Member:
    """Change archive fields; only the keys in ``changes`` are touched."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be edited: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="field_not_editable",
        )
    with transaction.atomic():
        member = _locked(member_id)
        _require_member_scope(actor, Perm.MEMBER_EDIT, member)
        if member.status in (Member.Status.MERGED, Member.Status.TERMINATED):
            raise Conflict(
                _("A merged or terminated member cannot be edited."), code="member_closed"
            )
        before = audit_view(member)
        updates: dict[str, Any] = {}
        if "name" in changes:
            updates.update(_name_fields(changes["name"]))
        if "mobile" in changes:
            updates.update(_mobile_fields(changes["mobile"], exclude_member_id=member.pk))
        if "gender" in changes:
            updates["gender"] = _clean_gender(changes["gender"])
        if "birthday" in changes or "lunar_birthday" in changes:
            updates.update(_birthday_fields(changes.get("birthday"), changes.get("lunar_birthday")))
        if "id_number" in changes:
            updates.update(_id_number_fields(changes["id_number"]))
        if "address" in changes:
            updates["address_enc"] = pii.encrypt((changes["address"] or "").strip()[:200])
        if "email" in changes:
            updates["email"] = _clean_email(changes["email"])
        for key, limit in (
            ("region", 100),
            ("occupation", 50),
            ("preferences", 1000),
        ):
            if key in changes:
                updates[key] = (changes[key] or "").strip()[:limit]
        if "custom_fields" in changes:
            updates["custom_fields"] = _clean_custom_fields(
                changes["custom_fields"] or {}, partial_of=member.custom_fields
            )
        tags = _resolve_tags(changes["tags"]) if "tags" in changes else None

        for key, value in updates.items():
            setattr(member, key, value)
        try:
            with transaction.atomic():
                member.save()
        except IntegrityError as exc:
            raise Conflict(
                _("This mobile number already belongs to a member."),
                code="duplicate_mobile",
                field="mobile",
            ) from exc
        if tags is not None:
            member.tags.set(tags)
        old, new = _diff(before, audit_view(member))
        if new:
            audit_record(
                actor=actor,
                action="member.updated",
                subject_type="member",
                subject_id=member.pk,
                member_id=member.pk,
                before=old,
                after=new,
            )
    return member


def _lifecycle(
    *,
    actor: Actor,
    member_id: int,
    perm: Perm,
    action: str,
    reason: str,
    change: Callable[[Member], None],
) -> Member:
    with transaction.atomic():
        member = _locked(member_id)
        _require_member_scope(actor, perm, member)
        before = audit_view(member)
        change(member)
        member.save()
        old, new = _diff(before, audit_view(member))
        audit_record(
            actor=actor,
            action=action,
            subject_type="member",
            subject_id=member.pk,
            member_id=member.pk,
            before=old,
            after=new,
            note=reason,
        )
    return member


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")
    return reason[:200]


def member_freeze(
    *, actor: Actor, member_id: int, earning: bool, spending: bool, reason: str
) -> Member:
    """Block earning and/or spending for a member until unfrozen."""
    reason = _require_reason(reason)
    if not (earning or spending):
        raise ValidationFailed(
            _("Choose what to freeze: earning, spending or both."), code="nothing_to_freeze"
        )

    def change(member: Member) -> None:
        if member.status != Member.Status.ACTIVE:
            raise Conflict(_("Only an active member can be frozen."), code="member_not_active")
        if (not earning or member.earn_frozen) and (not spending or member.spend_frozen):
            raise Conflict(_("The member is already frozen."), code="already_frozen")
        member.earn_frozen = member.earn_frozen or earning
        member.spend_frozen = member.spend_frozen or spending
        member.freeze_reason = reason

    return _lifecycle(
        actor=actor,
        member_id=member_id,
        perm=Perm.MEMBER_FREEZE,
        action="member.frozen",
        reason=reason,
        change=change,
    )


def member_unfreeze(
    *, actor: Actor, member_id: int, earning: bool, spending: bool, reason: str
) -> Member:
    reason = _require_reason(reason)

    def change(member: Member) -> None:
        if not ((earning and member.earn_frozen) or (spending and member.spend_frozen)):
            raise Conflict(_("The member is not frozen."), code="not_frozen")
        if earning:
            member.earn_frozen = False
        if spending:
            member.spend_frozen = False
        if not member.is_frozen:
            member.freeze_reason = ""

    return _lifecycle(
        actor=actor,
        member_id=member_id,
        perm=Perm.MEMBER_FREEZE,
        action="member.unfrozen",
        reason=reason,
        change=change,
    )


def member_cancel(*, actor: Actor, member_id: int, reason: str) -> Member:
    """Cancel a membership (注销) at the member's request; reversible by restore."""
    reason = _require_reason(reason)

    def change(member: Member) -> None:
        if member.status != Member.Status.ACTIVE:
            raise Conflict(_("Only an active member can be cancelled."), code="member_not_active")
        member.status = Member.Status.CANCELLED

    return _lifecycle(
        actor=actor,
        member_id=member_id,
        perm=Perm.MEMBER_CANCEL,
        action="member.cancelled",
        reason=reason,
        change=change,
    )


def member_restore(*, actor: Actor, member_id: int, reason: str) -> Member:
    reason = _require_reason(reason)

    def change(member: Member) -> None:
        if member.status != Member.Status.CANCELLED:
            raise Conflict(
                _("Only a cancelled member can be restored."), code="member_not_cancelled"
            )
        member.status = Member.Status.ACTIVE

    return _lifecycle(
        actor=actor,
        member_id=member_id,
        perm=Perm.MEMBER_CANCEL,
        action="member.restored",
        reason=reason,
        change=change,
    )


def member_terminate(*, actor: Actor, member_id: int, reason: str) -> Member:
    """End a membership for good (e.g. after long inactivity); it cannot be restored."""
    reason = _require_reason(reason)

    def change(member: Member) -> None:
        if member.status not in (Member.Status.ACTIVE, Member.Status.CANCELLED):
            raise Conflict(_("This member is already closed."), code="member_closed")
        member.status = Member.Status.TERMINATED

    return _lifecycle(
        actor=actor,
        member_id=member_id,
        perm=Perm.MEMBER_TERMINATE,
        action="member.terminated",
        reason=reason,
        change=change,
    )


def members_terminate_inactive(
    *, actor: Actor, inactive_days: int, now: dt.datetime | None = None
) -> int:
    """Terminate active members with no activity for ``inactive_days``; returns how many."""
    require(actor, Perm.MEMBER_TERMINATE)
    cutoff = (now or timezone.now()) - dt.timedelta(days=inactive_days)
    reason = f"inactive for more than {inactive_days} days"
    # The scan only proposes; each member is decided under its own lock, in id order, a
    # chunk at a time (no read cursor held open across the writes).
    candidates = (
        Member.objects.filter(status=Member.Status.ACTIVE, last_activity_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    done = after = 0
    while chunk := list(candidates.filter(pk__gt=after)[:500]):
        for member_id in chunk:
            if member_terminate_if_inactive(
                actor=actor, member_id=member_id, cutoff=cutoff, reason=reason
            ):
                done += 1
        after = chunk[-1]
    return done


def member_terminate_if_inactive(
    *, actor: Actor, member_id: int, cutoff: dt.datetime, reason: str
) -> bool:
    """End one membership if, re-read under its lock, it is still active and its last
    activity is still before ``cutoff``; in its own short transaction (retried on deadlock
    or a busy database). A member who bought or was cancelled since the scan is left alone.
    """

    def change(member: Member) -> None:
        idle = member.last_activity_at is not None and member.last_activity_at < cutoff
        if member.status != Member.Status.ACTIVE or not idle:
            raise Conflict(_("The member is no longer inactive."), code="member_not_inactive")
        member.status = Member.Status.TERMINATED

    try:
        atomic_retry(
            lambda: _lifecycle(
                actor=actor,
                member_id=member_id,
                perm=Perm.MEMBER_TERMINATE,
                action="member.terminated",
                reason=reason,
                change=change,
            )
        )
    except Conflict:
        return False
    return True


def member_merge(*, actor: Actor, survivor_id: int, duplicate_id: int, reason: str) -> Member:
    """Merge a duplicate archive into the survivor; the duplicate's history follows it."""
    reason = _require_reason(reason)
    if survivor_id == duplicate_id:
        raise ValidationFailed(_("Choose two different members."), code="merge_same_member")
    with transaction.atomic():
        # Lock both rows in id order so two opposite merges cannot deadlock.
        locked = {
            m.pk: m
            for m in Member.objects.select_for_update()
            .filter(pk__in=[survivor_id, duplicate_id])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise NotFound(_("Member not found."), code="member_not_found")
        survivor, duplicate = locked[survivor_id], locked[duplicate_id]
        for member in (survivor, duplicate):
            _require_member_scope(actor, Perm.MEMBER_MERGE, member)
        for member in (survivor, duplicate):
            if member.status in (Member.Status.MERGED, Member.Status.TERMINATED):
                raise Conflict(
                    _("A merged or terminated member cannot take part in a merge."),
                    code="member_closed",
                )
        before = audit_view(survivor)
        # Archive fields the survivor lacks are taken from the duplicate.
        for attr in ("birthday", "region", "occupation", "preferences", "email", "id_number_enc"):
            if not getattr(survivor, attr) and getattr(duplicate, attr):
                setattr(survivor, attr, getattr(duplicate, attr))
                if attr == "birthday":
                    survivor.birthday_calendar = duplicate.birthday_calendar
                    survivor.lunar_birth_month = duplicate.lunar_birth_month
                    survivor.lunar_birth_day = duplicate.lunar_birth_day
                    survivor.lunar_birth_leap = duplicate.lunar_birth_leap
                if attr == "id_number_enc":
                    survivor.id_number_hash = duplicate.id_number_hash
                    survivor.id_number_masked = duplicate.id_number_masked
        if not survivor.address_enc and duplicate.address_enc:
            survivor.address_enc = duplicate.address_enc
        survivor.custom_fields = {**duplicate.custom_fields, **survivor.custom_fields}
        survivor.joined_at = min(survivor.joined_at, duplicate.joined_at)
        survivor.save()
        survivor.tags.add(*duplicate.tags.all())
        Member.objects.filter(referrer=duplicate).update(referrer=survivor)
        Member.objects.filter(merged_into=duplicate).update(merged_into=survivor)
        for step in MERGE_STEPS:
            step(actor, survivor, duplicate)

        dup_before = audit_view(duplicate)
        duplicate.status = Member.Status.MERGED
        duplicate.merged_into = survivor
        duplicate.mobile_hash = None  # the number is free for the survivor or a new member
        duplicate.id_number_hash = ""
        duplicate.save()
        audit_record(
            actor=actor,
            action="member.merged_away",
            subject_type="member",
            subject_id=duplicate.pk,
            member_id=duplicate.pk,
            before=dup_before,
            after={"status": duplicate.status, "merged_into": survivor.code},
            note=reason,
        )
        old, new = _diff(before, audit_view(survivor))
        audit_record(
            actor=actor,
            action="member.merged",
            subject_type="member",
            subject_id=survivor.pk,
            member_id=survivor.pk,
            before=old,
            after={**new, "merged_from": duplicate.code},
            note=reason,
        )
    return survivor


def member_reveal_pii(*, actor: Actor, member_id: int) -> dict[str, str]:
    """Return a member's unmasked personal data, recording the read in the audit log."""
    require(actor, Perm.MEMBER_VIEW_PII)
    with transaction.atomic():
        member = Member.objects.filter(pk=member_id).first()
        if member is None:
            raise NotFound(_("Member not found."), code="member_not_found")
        _require_member_scope(actor, Perm.MEMBER_VIEW_PII, member)
        audit_record(
            actor=actor,
            action="member.pii_viewed",
            subject_type="member",
            subject_id=member.pk,
            member_id=member.pk,
        )
        return {"mobile": member.mobile, "id_number": member.id_number, "address": member.address}


def tag_create(*, actor: Actor, name: str, color: str = "blue") -> Tag:
    require(actor, Perm.MEMBER_CONFIGURE)
    name = (name or "").strip()
    if not name or len(name) > 30:
        raise ValidationFailed(_("A tag has 1 to 30 characters."), code="invalid_tag", field="name")
    with transaction.atomic():
        if Tag.objects.filter(name=name).exists():
            raise Conflict(_("This tag exists already."), code="duplicate_tag", field="name")
        tag = Tag.objects.create(name=name, color=color)
        audit_record(
            actor=actor,
            action="tag.created",
            subject_type="tag",
            subject_id=tag.pk,
            after={"name": name},
        )
    return tag


def custom_field_create(
    *,
    actor: Actor,
    key: str,
    label: str,
    kind: str,
    choices: list[str] | None = None,
    required: bool = False,
) -> CustomField:
    require(actor, Perm.MEMBER_CONFIGURE)
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key or ""):
        raise ValidationFailed(
            _("A key is lowercase letters, digits and underscores, starting with a letter."),
            code="invalid_key",
            field="key",
        )
    if kind not in CustomField.Kind.values:
        raise ValidationFailed(_("Unknown field kind."), code="invalid_kind", field="kind")
    label = (label or "").strip()
    if not label:
        raise ValidationFailed(_("Enter a label."), code="label_required", field="label")
    choices = [c.strip() for c in (choices or []) if c.strip()]
    if kind == CustomField.Kind.CHOICE and not choices:
        raise ValidationFailed(
            _("A choice field needs choices."), code="choices_required", field="choices"
        )
    with transaction.atomic():
        if CustomField.objects.filter(key=key).exists():
            raise Conflict(_("This key exists already."), code="duplicate_key", field="key")
        definition = CustomField.objects.create(
            key=key,
            label=label,
            kind=kind,
            choices=choices,
            required=required,
            position=CustomField.objects.count(),
        )
        audit_record(
            actor=actor,
            action="custom_field.created",
            subject_type="custom_field",
            subject_id=definition.pk,
            after={"key": key, "label": label, "kind": kind},
        )
    return definition


def custom_field_set_active(*, actor: Actor, field_id: int, active: bool) -> CustomField:
    """Show or hide a custom field on archives; values already recorded are kept."""
    require(actor, Perm.MEMBER_CONFIGURE)
    with transaction.atomic():
        definition = CustomField.objects.select_for_update().filter(pk=field_id).first()
        if definition is None:
            raise NotFound(_("Unknown custom field."), code="unknown_custom_field")
        if definition.is_active == active:
            return definition
        definition.is_active = active
        definition.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="custom_field.enabled" if active else "custom_field.disabled",
            subject_type="custom_field",
            subject_id=definition.pk,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return definition
