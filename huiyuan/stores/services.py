"""Writes for stores, terminals, staff and API keys (O1, O2)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import CHAIN_WIDE_ROLES, ROLE_PERMS, Actor, Perm, Role, require
from huiyuan.stores.api_scopes import Scope, scope_perms, scopes_clean
from huiyuan.stores.models import (
    ApiKey,
    Staff,
    Store,
    StoreScopePolicy,
    Terminal,
)
from huiyuan.stores.scope import CONFIGURABLE_OPS, Reach, policy_from_rules

API_KEY_PREFIX = "hy_"


def store_create(
    *, actor: Actor, code: str, name: str, address: str = "", phone: str = ""
) -> Store:
    require(actor, Perm.STORE_MANAGE)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise ValidationFailed(_("Enter a store code and name."), code="store_fields_required")
    with transaction.atomic():
        if Store.objects.filter(code=code).exists():
            raise Conflict(
                _("This store code exists already."), code="duplicate_store_code", field="code"
            )
        store = Store.objects.create(
            code=code, name=name, address=address.strip(), phone=phone.strip()
        )
        audit_record(
            actor=actor,
            action="store.created",
            subject_type="store",
            subject_id=store.pk,
            after={"code": code, "name": name},
            store_id=store.pk,
        )
    return store


def terminal_create(*, actor: Actor, store_id: int, code: str, name: str) -> Terminal:
    require(actor, Perm.APIKEY_MANAGE, store_id=store_id, check_store=True)
    store = Store.objects.filter(pk=store_id).first()
    if store is None:
        raise NotFound(_("Unknown store."), code="unknown_store", field="store_id")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise ValidationFailed(
            _("Enter a terminal code and name."), code="terminal_fields_required"
        )
    with transaction.atomic():
        if Terminal.objects.filter(code=code).exists():
            raise Conflict(
                _("This terminal code exists already."),
                code="duplicate_terminal_code",
                field="code",
            )
        terminal = Terminal.objects.create(store=store, code=code, name=name)
        audit_record(
            actor=actor,
            action="terminal.created",
            subject_type="terminal",
            subject_id=terminal.pk,
            after={"code": code, "name": name},
            store_id=store.pk,
        )
    return terminal


# ------------------------------------------------------------- who may manage whom
#
# With ``staff.manage`` an owner manages everyone; head office everyone but owners; a
# store-scoped actor (a store manager) only staff who work at its stores alone, whose role
# does no more than its own and is store-scoped too (a cashier, a store manager), and it
# gives only such roles and only its stores. A refusal changes nothing.


def staff_role_within(actor: Actor, role: str) -> bool:
    """Whether ``actor`` may manage someone with ``role``, or give it to someone."""
    wanted = Role(role)
    if wanted == Role.OWNER:
        return actor.role == Role.OWNER
    if not ROLE_PERMS[wanted] <= actor.perms:
        return False
    return actor.store_ids is None or wanted not in CHAIN_WIDE_ROLES


def staff_roles_grantable(actor: Actor) -> list[Role]:
    """The roles ``actor`` may give, in the usual order (the staff form's choices)."""
    return [r for r in Role if staff_role_within(actor, r)]


def _held_store_ids(staff: Staff) -> set[int]:
    return {s.pk for s in staff.stores.all()}


def staff_manageable(actor: Actor, staff: Staff) -> bool:
    """Whether ``actor`` may edit, disable, unlock or reset ``staff`` (what the staff page
    offers on the row; the services decide again)."""
    if not actor.has(Perm.STAFF_MANAGE) or not staff_role_within(actor, staff.role):
        return False
    held = _held_store_ids(staff)
    return actor.store_ids is None or (bool(held) and held <= actor.store_ids)


def staff_require_manageable(actor: Actor, staff: Staff) -> None:
    """Refuse unless ``actor`` may manage ``staff``: someone of no store of a store-scoped
    actor does not exist for it (``unknown_staff``); an owner is managed by owners only
    (``owner_only``); a role beyond the actor's is refused (``staff_forbidden``), and so is
    someone who works at a store outside its scope too (``store_forbidden``)."""
    require(actor, Perm.STAFF_MANAGE)
    held = _held_store_ids(staff)
    if actor.store_ids is not None and not held & actor.store_ids:
        raise NotFound(_("Unknown staff member."), code="unknown_staff")
    if staff.role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied(
            _("Only an owner can edit an owner or make someone an owner."), code="owner_only"
        )
    if not staff_role_within(actor, staff.role):
        raise PermissionDenied(
            _("You cannot manage a staff member whose role is above yours."),
            code="staff_forbidden",
        )
    if actor.store_ids is not None and not held <= actor.store_ids:
        raise PermissionDenied(
            _("This staff member also works at a store outside your scope."),
            code="store_forbidden",
        )


def staff_require_grantable(actor: Actor, role: str, store_ids: Iterable[int]) -> None:
    """Refuse unless ``actor`` may give ``role`` at ``store_ids`` (``owner_only``,
    ``role_forbidden``, ``store_forbidden``)."""
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied(
            _("Only an owner can edit an owner or make someone an owner."), code="owner_only"
        )
    if not staff_role_within(actor, role):
        raise PermissionDenied(
            _("You cannot give this role: it may do more than you, or beyond your stores."),
            code="role_forbidden",
            field="role",
        )
    if actor.store_ids is not None and not set(store_ids) <= actor.store_ids:
        raise PermissionDenied(
            _("This store is outside your scope."), code="store_forbidden", field="store_ids"
        )


def staff_create(
    *,
    actor: Actor,
    username: str,
    display_name: str,
    role: str,
    password: str,
    store_ids: list[int],
    mobile: str = "",
) -> Staff:
    require(actor, Perm.STAFF_MANAGE)
    if role not in {r.value for r in Role}:
        raise ValidationFailed(_("Unknown role."), code="invalid_role", field="role")
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied(_("Only an owner can create another owner."), code="owner_only")
    username = (username or "").strip()
    if not username:
        raise ValidationFailed(_("Enter a user name."), code="username_required", field="username")
    stores = list(Store.objects.filter(pk__in=store_ids))
    if len(stores) != len(set(store_ids)):
        raise NotFound(_("Unknown store."), code="unknown_store", field="store_ids")
    staff_require_grantable(actor, role, store_ids)
    if Role(role) in (Role.STORE_MANAGER, Role.CASHIER) and not stores:
        raise ValidationFailed(
            _("A store manager or cashier needs at least one store."),
            code="store_required",
            field="store_ids",
        )
    try:
        validate_password(password)
    except ValidationError as exc:
        raise ValidationFailed(
            " ".join(exc.messages), code="weak_password", field="password"
        ) from exc
    with transaction.atomic():
        if Staff.objects.filter(username=username).exists():
            raise Conflict(
                _("This user name is taken."), code="duplicate_username", field="username"
            )
        staff = Staff(
            username=username, display_name=display_name.strip(), role=role, mobile=mobile
        )
        staff.set_password(password)
        staff.default_store = stores[0] if stores else None
        staff.save()
        staff.stores.set(stores)
        audit_record(
            actor=actor,
            action="staff.created",
            subject_type="staff",
            subject_id=staff.pk,
            after={"username": username, "role": role, "stores": sorted(s.pk for s in stores)},
        )
    return staff


def _staff_locked_manageable(actor: Actor, staff_id: int) -> Staff:
    """The staff member, locked, if ``actor`` may manage them (inside a transaction)."""
    staff = Staff.objects.select_for_update().filter(pk=staff_id).first()
    if staff is None:
        raise NotFound(_("Unknown staff member."), code="unknown_staff")
    staff_require_manageable(actor, staff)
    return staff


def staff_set_active(*, actor: Actor, staff_id: int, active: bool) -> Staff:
    require(actor, Perm.STAFF_MANAGE)
    with transaction.atomic():
        staff = _staff_locked_manageable(actor, staff_id)
        if actor.staff is not None and staff.pk == actor.staff.pk:
            raise ValidationFailed(_("You cannot disable yourself."), code="cannot_disable_self")
        staff.is_active = active
        staff.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="staff.enabled" if active else "staff.disabled",
            subject_type="staff",
            subject_id=staff.pk,
            after={"is_active": active},
        )
    return staff


def staff_password_reset(*, actor: Actor, staff_id: int, new_password: str) -> Staff:
    """Give a staff member a new password (they forgot theirs): by someone who may manage
    them, never for oneself (that is ``staff_change_password``, with the current one). The
    sessions signed in with the old password end; the audit records who did it, not the
    password."""
    require(actor, Perm.STAFF_MANAGE)
    with transaction.atomic():
        staff = _staff_locked_manageable(actor, staff_id)
        if actor.staff is not None and staff.pk == actor.staff.pk:
            raise ValidationFailed(
                _("Change your own password on your account page."),
                code="cannot_reset_own_password",
            )
        try:
            validate_password(new_password, user=staff)
        except ValidationError as exc:
            raise ValidationFailed(
                " ".join(exc.messages), code="weak_password", field="new_password"
            ) from exc
        staff.set_password(new_password)
        staff.save(update_fields=["password"])
        audit_record(
            actor=actor, action="staff.password_reset", subject_type="staff", subject_id=staff.pk
        )
    return staff


def staff_change_password(
    *, actor: Actor, staff: Staff, old_password: str, new_password: str
) -> None:
    if not staff.check_password(old_password):
        raise ValidationFailed(
            _("The current password is wrong."), code="wrong_password", field="old_password"
        )
    try:
        validate_password(new_password, user=staff)
    except ValidationError as exc:
        raise ValidationFailed(
            " ".join(exc.messages), code="weak_password", field="new_password"
        ) from exc
    with transaction.atomic():
        staff.set_password(new_password)
        staff.save(update_fields=["password"])
        audit_record(
            actor=actor, action="staff.password_changed", subject_type="staff", subject_id=staff.pk
        )


# ------------------------------------------- a manager's authorisation at the counter


@dataclass(frozen=True)
class ManagerAuthorisation:
    """A manager's username and password, entered at the counter (or sent by a POS) for a
    cashier's operation the cashier may not do alone (a return, a reversal, a refund)."""

    username: str
    password: str
    request: HttpRequest | None = None  # for the lockout's address; None from a POS key


def staff_authoriser(
    authorisation: ManagerAuthorisation | None,
    perm: Perm,
    *,
    required: str,
    not_allowed: str,
    store_id: int | None = None,
) -> Staff:
    """The staff member who authorises an operation needing ``perm``: checked by password
    with Django's ``authenticate`` (call it outside a transaction, so that a wrong password
    counts towards the manager's lockout). ``required`` and ``not_allowed`` (with
    ``%(name)s``) are the messages for no authorisation and for a manager without ``perm``
    (or, given ``store_id``, not of that store). Refusals: ``authorisation_required``,
    ``authorisation_failed``, ``authoriser_not_allowed`` (all 403)."""
    if authorisation is None or not authorisation.username or not authorisation.password:
        raise PermissionDenied(required, code="authorisation_required")
    user = authenticate(
        authorisation.request or HttpRequest(),
        username=authorisation.username.strip(),
        password=authorisation.password,
    )
    if not isinstance(user, Staff):
        raise PermissionDenied(
            _("The manager's username or password is wrong."), code="authorisation_failed"
        )
    authoriser = user.as_actor(store_id)
    if not authoriser.has(perm) or (store_id is not None and not authoriser.covers_store(store_id)):
        raise PermissionDenied(
            not_allowed % {"name": user.display_name or user.username},
            code="authoriser_not_allowed",
        )
    return user


# ------------------------------------------------------------- store scope (通存通兑)


def store_scope_policy_update(*, actor: Actor, rules: Mapping[str, str]) -> StoreScopePolicy:
    """Set, per operation, whether any store may do it to another store's card (``chain``)
    or only the card's own store and head office (``home``). Owner and head office only.

    ``rules`` may name some operations; the others keep their current reach.
    """
    require(actor, Perm.STORE_MANAGE)
    known = {op.value for op in CONFIGURABLE_OPS}
    unknown = sorted(set(rules) - known)
    if unknown:
        raise ValidationFailed(
            _("This operation's store scope cannot be changed."),
            code="unknown_scope_operation",
            details={"operations": unknown},
        )
    reaches = {r.value for r in Reach}
    invalid = sorted(op for op, reach in rules.items() if reach not in reaches)
    if invalid:
        raise ValidationFailed(
            _("Choose where the operation is allowed."),
            code="invalid_scope_reach",
            details={"operations": invalid},
        )
    with transaction.atomic():
        policy = StoreScopePolicy.objects.select_for_update().get(pk=StoreScopePolicy.current().pk)
        before = policy_from_rules(policy.rules)
        after = policy_from_rules({**policy.rules, **rules})
        changed = sorted((op for op in after if after[op] != before[op]), key=str)
        if not changed:
            return policy
        policy.rules = {op.value: after[op].value for op in CONFIGURABLE_OPS}
        policy.save(update_fields=["rules", "updated_at"])
        audit_record(
            actor=actor,
            action="store_scope_policy.updated",
            subject_type="store_scope_policy",
            subject_id=policy.pk,
            before={op.value: before[op].value for op in changed},
            after={op.value: after[op].value for op in changed},
        )
    return policy


# Login throttling, lockout and the second factor: huiyuan/stores/signin.py and
# huiyuan/stores/two_factor.py (django-axes, django-otp).


# ---------------------------------------------------------------------- API keys


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


MAX_RATE_LIMIT = 100_000


def _api_key_limits(scopes: list[str] | None, rate_limit_per_minute: int | None) -> list[str]:
    """Check scopes and a rate limit; returns the scopes, cleaned."""
    if scopes is not None:
        unknown = sorted(set(scopes) - {s.value for s in Scope})
        if unknown or not scopes:
            raise ValidationFailed(
                _("Choose at least one scope from the list."),
                code="invalid_scope",
                field="scopes",
                details={"unknown": unknown},
            )
    if rate_limit_per_minute is not None and not 1 <= rate_limit_per_minute <= MAX_RATE_LIMIT:
        raise ValidationFailed(
            _("The limit is 1 to 100000 requests per minute."),
            code="invalid_rate_limit",
            field="rate_limit_per_minute",
        )
    return scopes_clean(scopes) if scopes is not None else []


def _api_key_within_caller(actor: Actor, role: str, scopes: list[str]) -> None:
    """A caller cannot make a key that may do more than the caller itself: an API key
    cannot grant a new key (or itself) scopes beyond its own, nor a role above its own."""
    granted = ROLE_PERMS[Role(role)]
    limit = scope_perms(scopes)
    if limit is not None:
        granted = granted & limit
    beyond = sorted(p.value for p in granted - actor.perms)
    if beyond:
        raise PermissionDenied(
            _("A key cannot be given more than you may do yourself."),
            code="scopes_exceed_caller",
            field="scopes",
            details={"permissions": beyond},
        )


def api_key_create(
    *,
    actor: Actor,
    terminal_id: int,
    name: str,
    role: str = Role.CASHIER,
    scopes: list[str] | None = None,
    rate_limit_per_minute: int = ApiKey.DEFAULT_RATE_LIMIT,
) -> tuple[ApiKey, str]:
    """Create a key for a terminal; returns the row and the key, which is shown only once.
    ``scopes`` default to ``all`` (everything the role allows)."""
    terminal = Terminal.objects.select_related("store").filter(pk=terminal_id).first()
    if terminal is None:
        raise NotFound(_("Unknown terminal."), code="unknown_terminal")
    require(actor, Perm.APIKEY_MANAGE, store_id=terminal.store_id, check_store=True)
    if role not in {r.value for r in Role} or role in (Role.OWNER, Role.HQ_ADMIN):
        raise ValidationFailed(
            _("A terminal key cannot have this role."), code="invalid_role", field="role"
        )
    scopes = _api_key_limits(scopes if scopes is not None else [Scope.ALL], rate_limit_per_minute)
    _api_key_within_caller(actor, role, scopes)
    prefix = secrets.token_hex(4)
    key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            terminal=terminal,
            name=(name or terminal.name).strip()[:100],
            prefix=prefix,
            key_hash=_hash_key(key),
            role=role,
            created_by=actor.staff,
            scopes=scopes,
            rate_limit_per_minute=rate_limit_per_minute,
        )
        audit_record(
            actor=actor,
            action="api_key.created",
            subject_type="api_key",
            subject_id=api_key.pk,
            after={
                "terminal": terminal.code,
                "role": role,
                "prefix": prefix,
                "scopes": scopes,
                "rate_limit_per_minute": rate_limit_per_minute,
            },
            store_id=terminal.store_id,
        )
    return api_key, key


def api_key_update(
    *,
    actor: Actor,
    api_key_id: int,
    scopes: list[str] | None = None,
    rate_limit_per_minute: int | None = None,
) -> ApiKey:
    """Change a key's scopes and/or its requests per minute (None: keep)."""
    cleaned = _api_key_limits(scopes, rate_limit_per_minute)
    with transaction.atomic():
        api_key = (
            ApiKey.objects.select_for_update()
            .select_related("terminal")
            .filter(pk=api_key_id)
            .first()
        )
        if api_key is None:
            raise NotFound(_("Unknown API key."), code="unknown_api_key")
        require(actor, Perm.APIKEY_MANAGE, store_id=api_key.terminal.store_id, check_store=True)
        if api_key.revoked_at is not None:
            raise Conflict(_("This key is already revoked."), code="already_revoked")
        if scopes is not None:
            _api_key_within_caller(actor, api_key.role, cleaned)
        before = {"scopes": api_key.scopes, "rate_limit_per_minute": api_key.rate_limit_per_minute}
        if scopes is not None:
            api_key.scopes = cleaned
        if rate_limit_per_minute is not None:
            api_key.rate_limit_per_minute = rate_limit_per_minute
        after = {"scopes": api_key.scopes, "rate_limit_per_minute": api_key.rate_limit_per_minute}
        if after != before:
            api_key.save(update_fields=["scopes", "rate_limit_per_minute"])
            audit_record(
                actor=actor,
                action="api_key.updated",
                subject_type="api_key",
                subject_id=api_key.pk,
                before=before,
                after=after,
                store_id=api_key.terminal.store_id,
            )
    return api_key


def api_key_revoke(*, actor: Actor, api_key_id: int) -> ApiKey:
    with transaction.atomic():
        api_key = (
            ApiKey.objects.select_for_update()
            .select_related("terminal")
            .filter(pk=api_key_id)
            .first()
        )
        if api_key is None:
            raise NotFound(_("Unknown API key."), code="unknown_api_key")
        require(actor, Perm.APIKEY_MANAGE, store_id=api_key.terminal.store_id, check_store=True)
        if api_key.revoked_at is not None:
            raise Conflict(_("This key is already revoked."), code="already_revoked")
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api_key.revoked",
            subject_type="api_key",
            subject_id=api_key.pk,
            store_id=api_key.terminal.store_id,
        )
    return api_key


def api_key_authenticate(key: str) -> ApiKey | None:
    """The active key matching ``key``, or None. Constant-time on the hash comparison."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    parts = key[len(API_KEY_PREFIX) :].split("_", 1)
    if len(parts) != 2:
        return None
    api_key = (
        ApiKey.objects.select_related("terminal", "terminal__store")
        .filter(prefix=parts[0], revoked_at__isnull=True, terminal__is_active=True)
        .first()
    )
    if api_key is None or not secrets.compare_digest(api_key.key_hash, _hash_key(key)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > dt.timedelta(minutes=1):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key
