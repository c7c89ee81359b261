"""Member archive endpoints: register, read, search, edit, lifecycle, merge, PII reveal.

Each endpoint validates its input through a schema, calls one service or selector (which
checks permission and store scope) and returns a schema. Personal data leaves masked,
except from ``/reveal``, which the service records in the audit log.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_keyed
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.members import (
    FreezeIn,
    HistoryEventOut,
    MemberCreateIn,
    MemberListQuery,
    MemberOut,
    MemberPageOut,
    MemberPatchIn,
    MemberSearchIn,
    MergeIn,
    PiiOut,
    ReasonIn,
)
from huiyuan.api.schemas.money import OptionalIdempotencyKey
from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Role
from huiyuan.members import selectors, services
from huiyuan.members.models import Member, Tag
from huiyuan.members.services import MemberInput

router = Router(tags=["members"])

MemberId = Path(..., ge=1, le=MAX_ID, description="Member id.")


def _not_found() -> NotFound:
    return NotFound(_("Member not found."), code="member_not_found")


def _channel(actor: Actor) -> str:
    """How a registration arrived: an integrator's key, the call center, or a counter."""
    if actor.terminal is not None:
        return Member.Channel.API
    if actor.role == Role.CALL_CENTER:
        return Member.Channel.CALL_CENTER
    return Member.Channel.STORE


def _get(actor: Actor, member_id: int) -> Member:
    member = selectors.member_get(actor=actor, member_id=member_id)
    if member is None:
        raise _not_found()
    return member


@router.post("", response={201: MemberOut, **ERRORS}, summary="Register a member")
def member_create(
    request: HttpRequest,
    payload: MemberCreateIn,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[Member]:
    actor = actor_of(request)
    data = MemberInput(
        name=payload.name,
        mobile=payload.mobile,
        gender=payload.gender,
        birthday=payload.birthday,
        lunar_birthday=payload.lunar_birthday.to_domain() if payload.lunar_birthday else None,
        id_number=payload.id_number,
        region=payload.region,
        address=payload.address,
        occupation=payload.occupation,
        preferences=payload.preferences,
        email=payload.email,
        custom_fields=dict(payload.custom_fields),
        tags=list(payload.tags),
        referrer_code=payload.referrer_code,
        consent=payload.consent,
    )
    member = run_keyed(
        request,
        idempotency_key,
        "member.create",
        payload.dict(),
        lambda: services.member_register(
            actor=actor, data=data, channel=_channel(actor), store_id=payload.store_id
        ),
        lambda pk: Member.objects.get(pk=pk),
    )
    return Status(201, member)


@router.get("", response={200: MemberPageOut, **ERRORS}, summary="Search and list members")
def member_list(request: HttpRequest, filters: Query[MemberListQuery]) -> dict[str, object]:
    actor = actor_of(request)
    tag_id = None
    if filters.tag:
        # An unknown tag matches no member (no tag has id -1).
        tag_id = Tag.objects.filter(name=filters.tag).values_list("pk", flat=True).first() or -1
    qs = selectors.member_list(
        actor=actor,
        filters=selectors.MemberFilters(
            query=filters.q,
            store_id=filters.store_id,
            status=filters.status or "",
            tag_id=tag_id,
        ),
    )
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        # A member of another store, found by an exact key, is shown masked (通存通兑).
        "items": selectors.member_mask(actor, qs[filters.offset : filters.offset + filters.limit]),
    }


@router.post(
    "/search",
    response={200: MemberPageOut, **ERRORS},
    summary="Search and list members (query in the body)",
    description=(
        "The same search as `GET /members`, with the filters in a JSON body: a mobile or an ID "
        "number searched for this way appears in no URL, so in no access log."
    ),
)
def member_search(request: HttpRequest, payload: MemberSearchIn) -> dict[str, object]:
    return member_list(request, MemberListQuery(**payload.model_dump()))


@router.get(
    "/by-code/{code}", response={200: MemberOut, **ERRORS}, summary="Find a member by number"
)
def member_by_code(
    request: HttpRequest,
    code: str = Path(..., pattern=r"^[0-9A-Za-z]{1,20}$", description="Member number."),
) -> Member:
    actor = actor_of(request)
    match = next(
        (m for m in selectors.member_lookup(actor=actor, query=code) if m.code == code), None
    )
    if match is None:
        raise _not_found()
    return _get(actor, match.pk)


@router.get("/{int:member_id}", response={200: MemberOut, **ERRORS}, summary="Get a member")
def member_detail(request: HttpRequest, member_id: int = MemberId) -> Member:
    return _get(actor_of(request), member_id)


@router.patch("/{int:member_id}", response={200: MemberOut, **ERRORS}, summary="Edit a member")
def member_update(
    request: HttpRequest, payload: MemberPatchIn, member_id: int = MemberId
) -> Member:
    return services.member_update(
        actor=actor_of(request), member_id=member_id, changes=payload.changes()
    )


@router.get(
    "/{int:member_id}/history",
    response={200: list[HistoryEventOut], **ERRORS},
    summary="A member's audit trail",
)
def member_history(request: HttpRequest, member_id: int = MemberId) -> list[AuditEvent]:
    actor = actor_of(request)
    return selectors.member_history(actor=actor, member=_get(actor, member_id))


@router.post(
    "/{int:member_id}/freeze",
    response={200: MemberOut, **ERRORS},
    summary="Freeze earning/spending",
)
def member_freeze(request: HttpRequest, payload: FreezeIn, member_id: int = MemberId) -> Member:
    return services.member_freeze(
        actor=actor_of(request),
        member_id=member_id,
        earning=payload.earning,
        spending=payload.spending,
        reason=payload.reason,
    )


@router.post(
    "/{int:member_id}/unfreeze", response={200: MemberOut, **ERRORS}, summary="Lift a freeze"
)
def member_unfreeze(request: HttpRequest, payload: FreezeIn, member_id: int = MemberId) -> Member:
    return services.member_unfreeze(
        actor=actor_of(request),
        member_id=member_id,
        earning=payload.earning,
        spending=payload.spending,
        reason=payload.reason,
    )


@router.post(
    "/{int:member_id}/cancel", response={200: MemberOut, **ERRORS}, summary="Cancel a membership"
)
def member_cancel(request: HttpRequest, payload: ReasonIn, member_id: int = MemberId) -> Member:
    return services.member_cancel(
        actor=actor_of(request), member_id=member_id, reason=payload.reason
    )


@router.post(
    "/{int:member_id}/restore",
    response={200: MemberOut, **ERRORS},
    summary="Restore a cancelled membership",
)
def member_restore(request: HttpRequest, payload: ReasonIn, member_id: int = MemberId) -> Member:
    return services.member_restore(
        actor=actor_of(request), member_id=member_id, reason=payload.reason
    )


@router.post(
    "/{int:member_id}/terminate",
    response={200: MemberOut, **ERRORS},
    summary="End a membership for good",
)
def member_terminate(request: HttpRequest, payload: ReasonIn, member_id: int = MemberId) -> Member:
    return services.member_terminate(
        actor=actor_of(request), member_id=member_id, reason=payload.reason
    )


@router.post(
    "/{int:member_id}/merge",
    response={200: MemberOut, **ERRORS},
    summary="Merge a duplicate archive into this member",
)
def member_merge(request: HttpRequest, payload: MergeIn, member_id: int = MemberId) -> Member:
    return services.member_merge(
        actor=actor_of(request),
        survivor_id=member_id,
        duplicate_id=payload.duplicate_id,
        reason=payload.reason,
    )


@router.post(
    "/{int:member_id}/reveal",
    response={200: PiiOut, **ERRORS},
    summary="Reveal a member's personal data (audited)",
)
def member_reveal(request: HttpRequest, member_id: int = MemberId) -> dict[str, str]:
    return services.member_reveal_pii(actor=actor_of(request), member_id=member_id)
