"""Feedback and complaints (意见与投诉): filed by a member or by staff, replied to, resolved.

A complaint makes a follow-up task (reason ``complaint``) for the store it names, in the
same transaction. Staff act only on feedback of their stores; the call center and head
office on every store's. Status moves open → in progress → resolved (a resolved item may be
reopened); the first staff reply moves an open item to in progress.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import CHAIN_WIDE_ROLES, ROLE_PERMS, Actor, Perm, Role, require
from huiyuan.followups.automatic import followup_on_complaint
from huiyuan.members.models import Member
from huiyuan.stores.models import Staff, Store
from huiyuan.surveys.models import Feedback, Reply

MAX_TEXT = 2000


def _clean(category: str, text: str) -> str:
    if category not in Feedback.Category.values:
        raise ValidationFailed(_("Choose a category."), code="invalid_category", field="category")
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Write what happened."), code="text_required", field="text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            _("Feedback may be at most 2,000 characters."), code="text_too_long", field="text"
        )
    return text


def _store(store_id: int | None, member: Member) -> int:
    if store_id is None:
        return member.home_store_id
    if not Store.objects.filter(pk=store_id, is_active=True).exists():
        raise ValidationFailed(_("Choose a store."), code="invalid_store", field="store_id")
    return store_id


def _file(
    *,
    member: Member,
    category: str,
    text: str,
    store_id: int,
    source: str,
    staff: Staff | None,
) -> Feedback:
    now = timezone.now()
    feedback = Feedback.objects.create(
        member=member,
        category=category,
        text=text,
        store_id=store_id,
        source=source,
        created_by=staff,
        created_at=now,
        updated_at=now,
    )
    if category == Feedback.Category.COMPLAINT:
        task = followup_on_complaint(
            feedback_id=feedback.pk, member_id=member.pk, store_id=store_id
        )
        if task is not None:
            feedback.followup_id = task.pk
            feedback.save(update_fields=["followup_id"])
    return feedback


def feedback_file(
    *, actor: Actor, member_id: int, category: str, text: str, store_id: int | None = None
) -> Feedback:
    """Staff file feedback for a member (a call, a word at the counter)."""
    require(actor, Perm.FEEDBACK_MANAGE)
    text = _clean(category, text)
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise NotFound(_("Member not found."), code="member_not_found")
    store = _store(store_id if store_id is not None else actor.store_id, member)
    if not actor.covers_store(store):
        raise PermissionDenied(
            _("This store is outside your scope."),
            code="store_forbidden",
            details={"store_id": store},
        )
    with transaction.atomic():
        feedback = _file(
            member=member,
            category=category,
            text=text,
            store_id=store,
            source=Feedback.Source.STAFF,
            staff=actor.staff,
        )
        audit_record(
            actor=actor,
            action="feedback.filed",
            subject_type="feedback",
            subject_id=feedback.pk,
            member_id=member.pk,
            after={"category": category, "store_id": store, "followup_id": feedback.followup_id},
            store_id=store,
        )
    return feedback


def feedback_file_by_member(
    *, member_id: int, category: str, text: str, store_id: int | None = None
) -> Feedback:
    """A member files feedback in the portal (for the store they name, else their own)."""
    text = _clean(category, text)
    member = Member.objects.filter(pk=member_id, status=Member.Status.ACTIVE).first()
    if member is None:
        raise NotFound(_("Member not found."), code="member_not_found")
    store = _store(store_id, member)
    with transaction.atomic():
        return _file(
            member=member,
            category=category,
            text=text,
            store_id=store,
            source=Feedback.Source.PORTAL,
            staff=None,
        )


def _locked(actor: Actor, feedback_id: int) -> Feedback:
    feedback = Feedback.objects.select_for_update().filter(pk=feedback_id).first()
    if feedback is None:
        raise NotFound(_("Feedback not found."), code="feedback_not_found")
    if not actor.covers_store(feedback.store_id):
        raise PermissionDenied(
            _("This store is outside your scope."),
            code="store_forbidden",
            details={"store_id": feedback.store_id},
        )
    return feedback


def feedback_reply(*, actor: Actor, feedback_id: int, text: str) -> Reply:
    """Answer a member's feedback; an open item becomes in progress."""
    require(actor, Perm.FEEDBACK_MANAGE)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Write a reply."), code="text_required", field="text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            _("A reply may be at most 2,000 characters."), code="text_too_long", field="text"
        )
    now = timezone.now()
    with transaction.atomic():
        feedback = _locked(actor, feedback_id)
        reply = Reply.objects.create(
            feedback=feedback, staff=actor.staff, text=text, created_at=now
        )
        fields = ["updated_at"]
        feedback.updated_at = now
        if feedback.status == Feedback.Status.OPEN:
            feedback.status = Feedback.Status.IN_PROGRESS
            fields.append("status")
        if feedback.owner_id is None and actor.staff is not None:
            feedback.owner = actor.staff
            fields.append("owner")
        feedback.save(update_fields=fields)
        audit_record(
            actor=actor,
            action="feedback.replied",
            subject_type="feedback",
            subject_id=feedback.pk,
            member_id=feedback.member_id,
            after={"reply_id": reply.pk, "status": feedback.status},
            store_id=feedback.store_id,
        )
    return reply


def feedback_reply_by_member(*, member_id: int, feedback_id: int, text: str) -> Reply:
    """The member adds to their own feedback's thread (someone else's: not found)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise ValidationFailed(_("Write a reply."), code="text_required", field="text")
    now = timezone.now()
    with transaction.atomic():
        feedback = (
            Feedback.objects.select_for_update().filter(pk=feedback_id, member_id=member_id).first()
        )
        if feedback is None:
            raise NotFound(_("Feedback not found."), code="feedback_not_found")
        reply = Reply.objects.create(feedback=feedback, from_member=True, text=text, created_at=now)
        feedback.updated_at = now
        fields = ["updated_at"]
        if feedback.status == Feedback.Status.RESOLVED:
            feedback.status = Feedback.Status.IN_PROGRESS
            feedback.resolved_at = None
            fields += ["status", "resolved_at"]
        feedback.save(update_fields=fields)
    return reply


def feedback_set_status(*, actor: Actor, feedback_id: int, status: str) -> Feedback:
    require(actor, Perm.FEEDBACK_MANAGE)
    if status not in Feedback.Status.values:
        raise ValidationFailed(_("Choose a status."), code="invalid_status", field="status")
    now = timezone.now()
    with transaction.atomic():
        feedback = _locked(actor, feedback_id)
        if feedback.status == status:
            raise Conflict(_("The feedback already has this status."), code="status_unchanged")
        feedback.status = status
        feedback.resolved_at = now if status == Feedback.Status.RESOLVED else None
        feedback.updated_at = now
        feedback.save(update_fields=["status", "resolved_at", "updated_at"])
        audit_record(
            actor=actor,
            action="feedback.status_changed",
            subject_type="feedback",
            subject_id=feedback.pk,
            member_id=feedback.member_id,
            after={"status": status},
            store_id=feedback.store_id,
        )
    return feedback


def feedback_assign(*, actor: Actor, feedback_id: int, owner_id: int | None) -> Feedback:
    """Make a staff member of the feedback's store (or head office) its owner."""
    require(actor, Perm.FEEDBACK_MANAGE)
    with transaction.atomic():
        feedback = _locked(actor, feedback_id)
        owner = None
        if owner_id is not None:
            owner = Staff.objects.filter(pk=owner_id, is_active=True).first()
            role = Role(owner.role) if owner is not None else None
            if (
                owner is None
                or role is None
                or Perm.FEEDBACK_MANAGE not in ROLE_PERMS[role]
                or (
                    role not in CHAIN_WIDE_ROLES
                    and not owner.stores.filter(pk=feedback.store_id).exists()
                )
            ):
                raise ValidationFailed(
                    _("Choose a staff member of this store who handles feedback."),
                    code="invalid_owner",
                    field="owner_id",
                )
        feedback.owner = owner
        feedback.updated_at = timezone.now()
        feedback.save(update_fields=["owner", "updated_at"])
        audit_record(
            actor=actor,
            action="feedback.assigned",
            subject_type="feedback",
            subject_id=feedback.pk,
            member_id=feedback.member_id,
            after={"owner_id": owner_id},
            store_id=feedback.store_id,
        )
    return feedback
