"""Member tags (标签): rename, delete, and tag or untag many members at once.

Creating a tag is ``services.tag_create``. Defining, renaming and deleting tags needs
``member.configure``; tagging members needs ``member.edit`` and the members must belong to
the actor's stores (a member of another store is "not found", and nothing is changed).
Every write is one transaction with an audit event.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members.models import Member, Tag
from huiyuan.members.selectors import member_in_scope

MAX_TAG_LENGTH = 30
# Members tagged or untagged in one call.
MAX_BULK_MEMBERS = 1000


def tag_list_for_use(*, actor: Actor) -> QuerySet[Tag]:
    """Every tag by name with ``member_count`` (members not merged away): what a caller
    who may read members needs to tag them (``services.tag_list`` is the settings page's)."""
    require(actor, Perm.MEMBER_VIEW)
    return _counted().order_by("name")


def tag_counted(tag_id: int) -> Tag:
    """One tag with ``member_count``, as ``tag_list_for_use`` reads it (after a write)."""
    tag = _counted().filter(pk=tag_id).first()
    if tag is None:
        raise _unknown_tag()
    return tag


def _counted() -> QuerySet[Tag]:
    return Tag.objects.annotate(
        member_count=Count("members", filter=~Q(members__status=Member.Status.MERGED))
    )


def _unknown_tag() -> NotFound:
    return NotFound(_("Unknown tag."), code="tag_not_found")


def _clean_tag_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_TAG_LENGTH:
        raise ValidationFailed(_("A tag has 1 to 30 characters."), code="invalid_tag", field="name")
    return name


def _locked_tag(tag_id: int) -> Tag:
    tag = Tag.objects.select_for_update().filter(pk=tag_id).first()
    if tag is None:
        raise _unknown_tag()
    return tag


def tag_rename(*, actor: Actor, tag_id: int, name: str, color: str | None = None) -> Tag:
    """Give a tag another name (and colour); members keep it."""
    require(actor, Perm.MEMBER_CONFIGURE)
    name = _clean_tag_name(name)
    with transaction.atomic():
        tag = _locked_tag(tag_id)
        if Tag.objects.filter(name=name).exclude(pk=tag.pk).exists():
            raise Conflict(_("This tag exists already."), code="duplicate_tag", field="name")
        before = {"name": tag.name, "color": tag.color}
        tag.name = name
        if color is not None:
            tag.color = color
        after = {"name": tag.name, "color": tag.color}
        if after != before:
            tag.save(update_fields=["name", "color"])
            audit_record(
                actor=actor,
                action="tag.renamed",
                subject_type="tag",
                subject_id=tag.pk,
                before=before,
                after=after,
            )
    return tag


def tag_delete(*, actor: Actor, tag_id: int) -> int:
    """Delete a tag; it leaves every member who had it. Returns how many members had it."""
    require(actor, Perm.MEMBER_CONFIGURE)
    with transaction.atomic():
        tag = _locked_tag(tag_id)
        had = Member.tags.through.objects.filter(tag_id=tag.pk).count()
        name = tag.name
        tag.delete()
        audit_record(
            actor=actor,
            action="tag.deleted",
            subject_type="tag",
            subject_id=tag_id,
            before={"name": name, "member_count": had},
        )
    return had


def _members_for_tagging(actor: Actor, member_ids: list[int]) -> list[Member]:
    wanted = sorted(set(member_ids))
    if not wanted or len(wanted) > MAX_BULK_MEMBERS:
        raise ValidationFailed(
            _("Choose 1 to %(max)s members.") % {"max": MAX_BULK_MEMBERS},
            code="invalid_member_ids",
            field="member_ids",
        )
    members = list(Member.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))
    found = {m.pk for m in members if member_in_scope(actor, m)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise NotFound(
            _("Member not found."),
            code="member_not_found",
            field="member_ids",
            details={"member_ids": missing[:50]},
        )
    closed = [m.pk for m in members if m.status in (Member.Status.MERGED, Member.Status.TERMINATED)]
    if closed:
        raise Conflict(
            _("A merged or terminated member cannot be edited."),
            code="member_closed",
            field="member_ids",
            details={"member_ids": closed[:50]},
        )
    return members


def _tagging(*, actor: Actor, tag_id: int, member_ids: list[int], add: bool) -> list[int]:
    require(actor, Perm.MEMBER_EDIT)
    with transaction.atomic():
        tag = _locked_tag(tag_id)
        members = _members_for_tagging(actor, member_ids)
        through = Member.tags.through
        ids = [m.pk for m in members]
        having = set(
            through.objects.filter(tag_id=tag.pk, member_id__in=ids).values_list(
                "member_id", flat=True
            )
        )
        if add:
            changed = [pk for pk in ids if pk not in having]
            through.objects.bulk_create([through(tag_id=tag.pk, member_id=pk) for pk in changed])
        else:
            changed = [pk for pk in ids if pk in having]
            through.objects.filter(tag_id=tag.pk, member_id__in=changed).delete()
        for pk in changed:
            audit_record(
                actor=actor,
                action="member.tagged" if add else "member.untagged",
                subject_type="member",
                subject_id=pk,
                member_id=pk,
                after={"tag": tag.name},
            )
    return changed


def tag_members_add(*, actor: Actor, tag_id: int, member_ids: list[int]) -> list[int]:
    """Give the tag to the members (of the actor's stores); returns those who had not it."""
    return _tagging(actor=actor, tag_id=tag_id, member_ids=member_ids, add=True)


def tag_members_remove(*, actor: Actor, tag_id: int, member_ids: list[int]) -> list[int]:
    """Take the tag from the members; returns those who had it."""
    return _tagging(actor=actor, tag_id=tag_id, member_ids=member_ids, add=False)
