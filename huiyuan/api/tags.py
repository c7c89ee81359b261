"""Member tags (标签): list, create, rename, delete; tag and untag members in bulk.

Reading needs ``member.view`` (scope ``members:read``); defining tags ``member.configure``
(scope ``configure``); tagging members ``member.edit`` (scope ``members:write``) on members
of the caller's stores — another store's member answers ``member_not_found`` and nothing
changes. Every write takes an ``Idempotency-Key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from ninja import Path, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_once
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey
from huiyuan.api.schemas.settings_api import (
    TagDeletedOut,
    TagIn,
    TagMembersIn,
    TagMembersOut,
    TagOut,
)
from huiyuan.members import services as member_services
from huiyuan.members import tags
from huiyuan.members.models import Tag

router = Router(tags=["tags"])

TagId = Path(..., ge=1, le=MAX_ID, description="Tag id.")


@dataclass
class _Done:
    """What a write without a row to reload answers (a deleted tag, a bulk tagging)."""

    pk: int
    changed: list[int] | None = None
    count: int | None = None


@router.get("/tags", response={200: list[TagOut], **ERRORS}, summary="Member tags")
def tag_list(request: HttpRequest) -> list[Tag]:
    return list(tags.tag_list_for_use(actor=actor_of(request)))


@router.post("/tags", response={201: TagOut, **ERRORS}, summary="Create a tag")
def tag_create(
    request: HttpRequest, payload: TagIn, idempotency_key: str = IdempotencyKey
) -> Status[Tag]:
    tag = run_once(
        request,
        idempotency_key,
        "tag.create",
        payload.dict(),
        lambda: member_services.tag_create(
            actor=actor_of(request), name=payload.name, color=payload.color
        ),
        tags.tag_counted,
    )
    return Status(201, tags.tag_counted(tag.pk))


@router.put("/tags/{int:tag_id}", response={200: TagOut, **ERRORS}, summary="Rename a tag")
def tag_rename(
    request: HttpRequest, payload: TagIn, tag_id: int = TagId, idempotency_key: str = IdempotencyKey
) -> Tag:
    tag = run_once(
        request,
        idempotency_key,
        f"tag.rename.{tag_id}",
        payload.dict(),
        lambda: tags.tag_rename(
            actor=actor_of(request), tag_id=tag_id, name=payload.name, color=payload.color
        ),
        tags.tag_counted,
    )
    return tags.tag_counted(tag.pk)


@router.delete(
    "/tags/{int:tag_id}",
    response={200: TagDeletedOut, **ERRORS},
    summary="Delete a tag (it leaves every member who had it)",
)
def tag_delete(
    request: HttpRequest, tag_id: int = TagId, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    done = run_once(
        request,
        idempotency_key,
        f"tag.delete.{tag_id}",
        {},
        lambda: _Done(pk=tag_id, count=tags.tag_delete(actor=actor_of(request), tag_id=tag_id)),
        lambda pk: _Done(pk=pk),
    )
    return {"id": done.pk, "member_count": done.count}


def _tagging(
    request: HttpRequest, tag_id: int, payload: TagMembersIn, key: str, *, add: bool
) -> dict[str, Any]:
    service = tags.tag_members_add if add else tags.tag_members_remove

    def perform() -> _Done:
        changed = service(actor=actor_of(request), tag_id=tag_id, member_ids=payload.member_ids)
        return _Done(pk=tag_id, changed=changed)

    done = run_once(
        request,
        key,
        f"tag.{'add' if add else 'remove'}.{tag_id}",
        payload.dict(),
        perform,
        lambda pk: _Done(pk=pk),
    )
    return {
        "tag": tags.tag_counted(tag_id),
        "member_ids": sorted(set(payload.member_ids)),
        "changed": done.changed,
    }


@router.post(
    "/tags/{int:tag_id}/members",
    response={200: TagMembersOut, **ERRORS},
    summary="Tag members (bulk)",
)
def tag_members_add(
    request: HttpRequest,
    payload: TagMembersIn,
    tag_id: int = TagId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    return _tagging(request, tag_id, payload, idempotency_key, add=True)


@router.post(
    "/tags/{int:tag_id}/members/remove",
    response={200: TagMembersOut, **ERRORS},
    summary="Untag members (bulk)",
)
def tag_members_remove(
    request: HttpRequest,
    payload: TagMembersIn,
    tag_id: int = TagId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    return _tagging(request, tag_id, payload, idempotency_key, add=False)
