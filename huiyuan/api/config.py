"""Configuration endpoints (O4, a complete API): what the console's settings pages do —
card types, recharge packages, tiers and the tier policy, the points and stored-value
policies, stores, terminals and staff — and a member's current tier.

Every create takes an ``Idempotency-Key``: a retried request returns what the first one
created (``command_run``). Updates are ``PUT``/``POST`` of the whole setting and may be
repeated. Each call checks its permission in the service, as the console does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Router, Status

from huiyuan.api import cards as cards_api
from huiyuan.api import stores as stores_api
from huiyuan.api import tiers as tiers_api
from huiyuan.api import wallet as wallet_api
from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_keyed, run_once
from huiyuan.api.schemas.cards import CardTypeOut
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.config import (
    ActiveIn,
    CardTypeIn,
    CardTypeUpdateIn,
    DefaultCardTypeIn,
    DefaultCardTypeOut,
    PointsPolicyIn,
    PointsPolicyOut,
    RechargePackageIn,
    StaffIn,
    StaffOut,
    StaffUpdateIn,
    StoreIn,
    StoreUpdateIn,
    TerminalIn,
    TerminalOut,
    TerminalUpdateIn,
    TierIn,
    TierPolicyIn,
    TierPolicyOut,
    TierUpdateIn,
    TierVersionOut,
    WalletPolicyIn,
    WalletPolicyOut,
)
from huiyuan.api.schemas.money import IdempotencyKey, OptionalIdempotencyKey
from huiyuan.api.schemas.stores import StoreOut
from huiyuan.api.schemas.tiers import MemberTierOut, TierOut
from huiyuan.api.schemas.wallet import RechargePackageOut
from huiyuan.cards import card_types as card_type_edits
from huiyuan.cards import services as card_services
from huiyuan.cards.models import CardType
from huiyuan.core.clock import local_today
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Perm, require
from huiyuan.members.selectors import member_get
from huiyuan.points import services as points_services
from huiyuan.points.models import PointsPolicy
from huiyuan.stores import edits as store_edits
from huiyuan.stores import selectors as store_selectors
from huiyuan.stores import services as store_services
from huiyuan.stores.models import Staff, Store, Terminal
from huiyuan.tiers import selectors as tier_selectors
from huiyuan.tiers import services as tier_services
from huiyuan.tiers import versions as tier_versions
from huiyuan.tiers.models import MemberTier, Tier, TierPolicy
from huiyuan.wallet import services as wallet_services
from huiyuan.wallet.models import RechargePackage, WalletPolicy

router = Router(tags=["configuration"])
# A path with a GET elsewhere takes its POST on the same router (one URL pattern per path).
cards_router, wallet_router = cards_api.router, wallet_api.router
tiers_router, stores_router = tiers_api.router, stores_api.stores_router

M = TypeVar("M", bound=Model)
PackageId = Path(..., ge=1, le=MAX_ID, description="Recharge package id.")
StoreId = Path(..., ge=1, le=MAX_ID, description="Store id.")
StaffId = Path(..., ge=1, le=MAX_ID, description="Staff id.")
TierId = Path(..., ge=1, le=MAX_ID, description="Tier id.")
CardTypeId = Path(..., ge=1, le=MAX_ID, description="Card type id.")
TerminalId = Path(..., ge=1, le=MAX_ID, description="Terminal id.")
MemberId = Path(..., ge=1, le=MAX_ID, description="Member id.")


def _created_once(
    request: HttpRequest,
    key: str,
    kind: str,
    payload: Any,
    perform: Callable[[], M],
    model: type[M],
) -> Status[M]:
    """Create once per Idempotency-Key; a replay answers with what the first call made."""
    obj = run_once(
        request, key, kind, payload.dict(), perform, lambda pk: model._default_manager.get(pk=pk)
    )
    return Status(201, obj)


# ------------------------------------------------------------------- cards and wallet


@cards_router.post("/card-types", response={201: CardTypeOut, **ERRORS}, summary="Add a card type")
def card_type_create(
    request: HttpRequest, payload: CardTypeIn, idempotency_key: str = IdempotencyKey
) -> Status[CardType]:
    return _created_once(
        request,
        idempotency_key,
        "config.card_type",
        payload,
        lambda: card_services.card_type_create(actor=actor_of(request), **payload.dict()),
        CardType,
    )


@wallet_router.post(
    "/recharge-packages",
    response={201: RechargePackageOut, **ERRORS},
    summary="Add a recharge package (充值套餐)",
)
def recharge_package_create(
    request: HttpRequest, payload: RechargePackageIn, idempotency_key: str = IdempotencyKey
) -> Status[RechargePackage]:
    return _created_once(
        request,
        idempotency_key,
        "config.recharge_package",
        payload,
        lambda: wallet_services.recharge_package_create(actor=actor_of(request), **payload.dict()),
        RechargePackage,
    )


@router.post(
    "/recharge-packages/{int:package_id}/active",
    response={200: RechargePackageOut, **ERRORS},
    summary="Offer a recharge package again, or stop offering it",
    description="Idempotent: setting the state it already has answers the package and records "
    "nothing. The `Idempotency-Key` is optional.",
)
def recharge_package_set_active(
    request: HttpRequest,
    payload: ActiveIn,
    package_id: int = PackageId,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> RechargePackage:
    return run_keyed(
        request,
        idempotency_key,
        "config.recharge_package_active",
        {"package_id": package_id, **payload.dict()},
        lambda: wallet_services.recharge_package_set_active(
            actor=actor_of(request), package_id=package_id, active=payload.active
        ),
        lambda pk: RechargePackage.objects.get(pk=pk),
    )


# The policy PUTs predate the rule that every write takes a key: it stays optional there.
_POLICY_PUT = (
    "Idempotent: sets the values sent. Sending values the policy already has answers it and "
    "records nothing (no audit entry, no event). The `Idempotency-Key` is optional here: with "
    "one, a retry answers the first result even if the policy changed since."
)


def _set_policy(current: Callable[[], M], changes: dict[str, Any], update: Callable[[], M]) -> M:
    """``update`` unless the policy already has the values sent: then it is answered as it
    is and nothing is recorded (run inside ``run_keyed``, so a keyed retry still replays)."""
    policy = current()
    if all(getattr(policy, name) == value for name, value in changes.items()):
        return policy
    return update()


def _wallet_policy(policy: WalletPolicy) -> dict[str, Any]:
    return {
        "spend_order": policy.spend_order,
        "named_limit_fen": policy.named_limit_fen,
        "anonymous_limit_fen": policy.anonymous_limit_fen,
        "bonus_valid_days": policy.bonus_valid_days,
    }


@router.get(
    "/wallet-policy", response={200: WalletPolicyOut, **ERRORS}, summary="The stored-value policy"
)
def wallet_policy(request: HttpRequest) -> dict[str, Any]:
    require(actor_of(request), Perm.WALLET_CONFIGURE)
    return _wallet_policy(WalletPolicy.current())


@router.put(
    "/wallet-policy",
    response={200: WalletPolicyOut, **ERRORS},
    summary="Change the stored-value policy (only the fields sent)",
    description=_POLICY_PUT,
)
def wallet_policy_update(
    request: HttpRequest,
    payload: WalletPolicyIn,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> dict[str, Any]:
    changes = payload.dict(exclude_unset=True)
    require(actor_of(request), Perm.WALLET_CONFIGURE)
    policy = run_keyed(
        request,
        idempotency_key,
        "config.wallet_policy",
        changes,
        lambda: _set_policy(
            WalletPolicy.current,
            changes,
            lambda: wallet_services.wallet_policy_update(actor=actor_of(request), **changes),
        ),
        lambda pk: WalletPolicy.objects.get(pk=pk),
    )
    return _wallet_policy(policy)


# --------------------------------------------------------------------- points, tiers


def _points_policy(policy: PointsPolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in points_services.POLICY_FIELDS}


@router.get(
    "/points-policy", response={200: PointsPolicyOut, **ERRORS}, summary="The points policy"
)
def points_policy(request: HttpRequest) -> dict[str, Any]:
    require(actor_of(request), Perm.POINTS_CONFIGURE)
    return _points_policy(PointsPolicy.current())


@router.put(
    "/points-policy",
    response={200: PointsPolicyOut, **ERRORS},
    summary="Change the points policy (only the fields sent)",
    description=_POLICY_PUT,
)
def points_policy_update(
    request: HttpRequest,
    payload: PointsPolicyIn,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> dict[str, Any]:
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    require(actor_of(request), Perm.POINTS_CONFIGURE)
    policy = run_keyed(
        request,
        idempotency_key,
        "config.points_policy",
        changes,
        lambda: _set_policy(
            PointsPolicy.current,
            changes,
            lambda: points_services.points_policy_update(actor=actor_of(request), **changes),
        ),
        lambda pk: PointsPolicy.objects.get(pk=pk),
    )
    return _points_policy(policy)


@tiers_router.post("/tiers", response={201: TierOut, **ERRORS}, summary="Add a tier")
def tier_create(
    request: HttpRequest, payload: TierIn, idempotency_key: str = IdempotencyKey
) -> Status[Tier]:
    return _created_once(
        request,
        idempotency_key,
        "config.tier",
        payload,
        lambda: tier_services.tier_create(actor=actor_of(request), **payload.dict()),
        Tier,
    )


def _tier_policy(policy: TierPolicy) -> dict[str, Any]:
    return {
        "evaluation_period": policy.evaluation_period,
        "inactive_termination_days": policy.inactive_termination_days,
    }


@router.get(
    "/tier-policy",
    response={200: TierPolicyOut, **ERRORS},
    summary="When tiers are evaluated; when inactive members end",
)
def tier_policy(request: HttpRequest) -> dict[str, Any]:
    require(actor_of(request), Perm.TIER_CONFIGURE)
    return _tier_policy(TierPolicy.current())


@router.put(
    "/tier-policy",
    response={200: TierPolicyOut, **ERRORS},
    summary="Change the tier policy",
    description=_POLICY_PUT,
)
def tier_policy_update(
    request: HttpRequest,
    payload: TierPolicyIn,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> dict[str, Any]:
    require(actor_of(request), Perm.TIER_CONFIGURE)
    policy = run_keyed(
        request,
        idempotency_key,
        "config.tier_policy",
        payload.dict(),
        lambda: _set_policy(
            TierPolicy.current,
            payload.dict(),
            lambda: tier_services.tier_policy_update(
                actor=actor_of(request),
                evaluation_period=payload.evaluation_period,
                inactive_termination_days=payload.inactive_termination_days,
            ),
        ),
        lambda pk: TierPolicy.objects.get(pk=pk),
    )
    return _tier_policy(policy)


@tiers_router.get(
    "/members/{int:member_id}/tier",
    response={200: MemberTierOut, **ERRORS},
    summary="A member's current tier",
)
def member_tier(request: HttpRequest, member_id: int = MemberId) -> dict[str, Any]:
    member = member_get(actor=actor_of(request), member_id=member_id)
    if member is None:
        raise NotFound(_("Member not found."), code="member_not_found")
    state = MemberTier.objects.select_related("tier").filter(member=member).first()
    tier = tier_services.tier_of(state, tier_services.tiers_ordered())
    if tier is None:
        raise NotFound(_("No tiers are set up."), code="no_tiers")
    return {
        "member_id": member.pk,
        "tier": tier,
        "protected_until": state.protected_until if state else None,
    }


# ------------------------------------------------------------ stores, terminals, staff


@stores_router.post("", response={201: StoreOut, **ERRORS}, summary="Open a store")
def store_create(
    request: HttpRequest, payload: StoreIn, idempotency_key: str = IdempotencyKey
) -> Status[Store]:
    actor = actor_of(request)
    created = _created_once(
        request,
        idempotency_key,
        "config.store",
        payload,
        lambda: store_services.store_create(actor=actor, **payload.dict()),
        Store,
    )
    store = store_selectors.store_list(actor=actor).get(pk=created.value.pk)
    return Status(201, store)


@router.post(
    "/stores/{int:store_id}/terminals",
    response={201: TerminalOut, **ERRORS},
    summary="Add a terminal (POS) to a store",
)
def terminal_create(
    request: HttpRequest,
    payload: TerminalIn,
    store_id: int = StoreId,
    idempotency_key: str = IdempotencyKey,
) -> Status[Terminal]:
    return _created_once(
        request,
        idempotency_key,
        f"config.terminal.{store_id}",
        payload,
        lambda: store_services.terminal_create(
            actor=actor_of(request), store_id=store_id, **payload.dict()
        ),
        Terminal,
    )


def _staff(staff: Staff) -> dict[str, Any]:
    return {
        "id": staff.pk,
        "username": staff.username,
        "display_name": staff.display_name,
        "role": staff.role,
        "is_active": staff.is_active,
        "store_ids": sorted(s.pk for s in staff.stores.all()),
    }


@router.get("/staff", response={200: list[StaffOut], **ERRORS}, summary="Staff in my scope")
def staff_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_staff(s) for s in store_selectors.staff_list(actor=actor_of(request))]


@router.post("/staff", response={201: StaffOut, **ERRORS}, summary="Add a staff member")
def staff_create(
    request: HttpRequest, payload: StaffIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    created = _created_once(
        request,
        idempotency_key,
        "config.staff",
        payload,
        lambda: store_services.staff_create(actor=actor_of(request), **payload.dict()),
        Staff,
    )
    return Status(201, _staff(created.value))


@router.post(
    "/staff/{int:staff_id}/active",
    response={200: StaffOut, **ERRORS},
    summary="Enable or disable a staff member",
    description="Sets the state sent, so repeating it leaves the same state; each call that is "
    "not a replay records an audit entry. Send an `Idempotency-Key` (optional here) and a "
    "retry answers the first result and records nothing more.",
)
def staff_set_active(
    request: HttpRequest,
    payload: ActiveIn,
    staff_id: int = StaffId,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> dict[str, Any]:
    staff = run_keyed(
        request,
        idempotency_key,
        "config.staff_active",
        {"staff_id": staff_id, **payload.dict()},
        lambda: store_services.staff_set_active(
            actor=actor_of(request), staff_id=staff_id, active=payload.active
        ),
        lambda pk: Staff.objects.get(pk=pk),
    )
    return _staff(staff)


# ------------------------------------------------------------------------------ edits
# An edit takes a required Idempotency-Key like every newer write: the same key and body
# answer the first result (a withdrawn package's retry does not make a third one), the same
# key with another body is refused (``idempotency_key_reused``).


@router.put(
    "/card-types/{int:card_type_id}",
    response={200: CardTypeOut, **ERRORS},
    summary="Edit a card type (issued cards keep their expiry)",
)
def card_type_update(
    request: HttpRequest,
    payload: CardTypeUpdateIn,
    card_type_id: int = CardTypeId,
    idempotency_key: str = IdempotencyKey,
) -> CardType:
    return run_once(
        request,
        idempotency_key,
        "config.card_type_update",
        {"card_type_id": card_type_id, **payload.dict()},
        lambda: card_type_edits.card_type_update(
            actor=actor_of(request), card_type_id=card_type_id, **payload.dict()
        ),
        lambda pk: CardType.objects.get(pk=pk),
    )


@router.get(
    "/card-types/default",
    response={200: DefaultCardTypeOut, **ERRORS},
    summary="The card type preselected at issue",
)
def default_card_type(request: HttpRequest) -> dict[str, Any]:
    require(actor_of(request), Perm.CARD_ISSUE)
    return {"card_type_id": tier_selectors.default_card_type_id()}


@router.put(
    "/card-types/default",
    response={200: DefaultCardTypeOut, **ERRORS},
    summary="Choose the card type preselected at issue",
)
def default_card_type_set(
    request: HttpRequest, payload: DefaultCardTypeIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    policy = run_once(
        request,
        idempotency_key,
        "config.default_card_type",
        payload.dict(),
        lambda: tier_services.default_card_type_set(
            actor=actor_of(request), card_type_id=payload.card_type_id
        ),
        lambda pk: TierPolicy.objects.get(pk=pk),
    )
    return {"card_type_id": policy.default_card_type_id}


@router.put(
    "/recharge-packages/{int:package_id}",
    response={200: RechargePackageOut, **ERRORS},
    summary="Edit a recharge package (past recharges keep theirs)",
    description="A package already sold is withdrawn and a new one with the new terms takes "
    "its place: the answer is the package now offered (a new id in that case).",
)
def recharge_package_update(
    request: HttpRequest,
    payload: RechargePackageIn,
    package_id: int = PackageId,
    idempotency_key: str = IdempotencyKey,
) -> RechargePackage:
    return run_once(
        request,
        idempotency_key,
        "config.recharge_package_update",
        {"package_id": package_id, **payload.dict()},
        lambda: wallet_services.recharge_package_update(
            actor=actor_of(request), package_id=package_id, **payload.dict()
        ),
        lambda pk: RechargePackage.objects.get(pk=pk),
    )


def _tier_version(version: dict[str, Any]) -> dict[str, Any]:
    return {"effective_from": version["effective_from"], "state": version["state"]} | {
        name: version["terms"][name] for name in tier_versions.TERM_FIELDS
    }


@router.put(
    "/tiers/{int:tier_id}",
    response={200: TierOut, **ERRORS},
    summary="Edit a tier; its terms apply from a business date",
    description="Name and privileges change at once; threshold, retention, window, discount "
    "and points multiplier apply from `effective_from` (today by default, never a past date). "
    "The answer shows the terms in force today.",
)
def tier_update(
    request: HttpRequest,
    payload: TierUpdateIn,
    tier_id: int = TierId,
    idempotency_key: str = IdempotencyKey,
) -> Tier:
    def load(pk: int) -> Tier:
        tier = tier_selectors.tier_get(tier_id=pk)
        if tier is None:
            raise NotFound(_("Unknown tier."), code="unknown_tier")
        return tier

    return run_once(
        request,
        idempotency_key,
        "config.tier_update",
        {"tier_id": tier_id, **payload.dict()},
        lambda: tier_services.tier_update(
            actor=actor_of(request), tier_id=tier_id, **payload.dict()
        ),
        load,
    )


@router.get(
    "/tiers/{int:tier_id}/versions",
    response={200: list[TierVersionOut], **ERRORS},
    summary="A tier's terms by date, newest first",
)
def tier_version_list(request: HttpRequest, tier_id: int = TierId) -> list[dict[str, Any]]:
    require(actor_of(request), Perm.TIER_CONFIGURE)
    tier = tier_selectors.tier_get(tier_id=tier_id)
    if tier is None:
        raise NotFound(_("Unknown tier."), code="unknown_tier")
    return [_tier_version(v) for v in tier_versions.tier_versions(tier, local_today())]


@router.put(
    "/stores/{int:store_id}",
    response={200: StoreOut, **ERRORS},
    summary="Edit a store's name, address and phone",
)
def store_update(
    request: HttpRequest,
    payload: StoreUpdateIn,
    store_id: int = StoreId,
    idempotency_key: str = IdempotencyKey,
) -> Store:
    actor = actor_of(request)
    run_once(
        request,
        idempotency_key,
        "config.store_update",
        {"store_id": store_id, **payload.dict()},
        lambda: store_edits.store_update(actor=actor, store_id=store_id, **payload.dict()),
        lambda pk: Store.objects.get(pk=pk),
    )
    return store_selectors.store_list(actor=actor).get(pk=store_id)


@router.put(
    "/terminals/{int:terminal_id}",
    response={200: TerminalOut, **ERRORS},
    summary="Rename a terminal (a store manager: their stores' only)",
)
def terminal_update(
    request: HttpRequest,
    payload: TerminalUpdateIn,
    terminal_id: int = TerminalId,
    idempotency_key: str = IdempotencyKey,
) -> Terminal:
    return run_once(
        request,
        idempotency_key,
        "config.terminal_update",
        {"terminal_id": terminal_id, **payload.dict()},
        lambda: store_edits.terminal_update(
            actor=actor_of(request), terminal_id=terminal_id, name=payload.name
        ),
        lambda pk: Terminal.objects.get(pk=pk),
    )


@router.put(
    "/staff/{int:staff_id}",
    response={200: StaffOut, **ERRORS},
    summary="Edit a staff member's name, mobile, role and stores",
)
def staff_update(
    request: HttpRequest,
    payload: StaffUpdateIn,
    staff_id: int = StaffId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    staff = run_once(
        request,
        idempotency_key,
        "config.staff_update",
        {"staff_id": staff_id, **payload.dict()},
        lambda: store_edits.staff_update(
            actor=actor_of(request), staff_id=staff_id, **payload.dict()
        ),
        lambda pk: Staff.objects.get(pk=pk),
    )
    return _staff(staff)
