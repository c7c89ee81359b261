"""Care services staff and integrators call: templates, preview, opt-out, inbound replies."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.care import sending
from huiyuan.care.context import member_context
from huiyuan.care.models import ChannelKind, MessageKind, MessageTemplate, OptOut
from huiyuan.care.templates import BUILTIN, Wording, render_wording, unknown_variables, wording_for
from huiyuan.core import china, pii
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members.models import Member
from huiyuan.members.selectors import member_in_scope

# What a member may reply to an SMS to unsubscribe (case and spaces do not matter).
UNSUBSCRIBE_WORDS = {"TD", "T", "N", "退订", "退", "取消", "UNSUBSCRIBE", "STOP"}


@dataclass(frozen=True)
class TemplateInput:
    code: str
    channel: str
    name: str
    kind: str
    body: str
    subject: str = ""
    is_active: bool = True


def template_save(*, actor: Actor, data: TemplateInput) -> MessageTemplate:
    """Save the merchant's wording of a template for one channel."""
    require(actor, Perm.CARE_MANAGE)
    code = data.code.strip()
    if not code or not code.replace("_", "").replace("-", "").isalnum() or len(code) > 40:
        raise ValidationFailed(
            _("A template code is letters, digits and underscores."),
            code="care_template_code_invalid",
            field="code",
        )
    if data.channel not in ChannelKind.values:
        raise ValidationFailed(_("Unknown channel."), code="care_channel_unknown", field="channel")
    if data.kind not in MessageKind.values:
        raise ValidationFailed(_("Unknown kind."), code="care_kind_unknown", field="kind")
    if code in BUILTIN and BUILTIN[code][1] != data.kind:
        raise ValidationFailed(
            _("This template's kind is fixed."), code="care_template_kind_fixed", field="kind"
        )
    body = data.body.strip()
    if not body:
        raise ValidationFailed(_("Write the message."), code="care_body_required", field="body")
    if len(body) > 1000:
        raise ValidationFailed(
            _("A message has at most 1000 characters."), code="care_body_too_long", field="body"
        )
    unknown = unknown_variables(body + data.subject)
    if unknown:
        raise ValidationFailed(
            _("Unknown variables: %(names)s") % {"names": ", ".join(unknown)},
            code="care_template_variable_unknown",
            field="body",
        )
    with transaction.atomic():
        before = MessageTemplate.objects.filter(code=code, channel=data.channel).first()
        row, _created = MessageTemplate.objects.update_or_create(
            code=code,
            channel=data.channel,
            defaults={
                "name": (data.name.strip() or code)[:60],
                "kind": data.kind,
                "subject": data.subject.strip()[:120],
                "body": body,
                "is_active": data.is_active,
                "updated_at": timezone.now(),
            },
        )
        audit_record(
            actor=actor,
            action="care_template.saved",
            subject_type="care_template",
            subject_id=row.pk,
            before=None if before is None else {"body": before.body, "active": before.is_active},
            after={"code": code, "channel": row.channel, "body": row.body, "active": row.is_active},
        )
    return row


@dataclass(frozen=True)
class Preview:
    subject: str
    body: str
    kind: str
    length: int


def template_preview(
    *, actor: Actor, code: str, channel: str, member_id: int, body: str = "", subject: str = ""
) -> Preview:
    """The message as this member would receive it (``body``: a draft not saved yet)."""
    require(actor, Perm.CARE_VIEW)
    require(actor, Perm.MEMBER_VIEW)
    wording = wording_for(code, channel)
    if wording is None and not body:
        raise NotFound(_("Unknown message template."), code="care_template_unknown")
    member = Member.objects.select_related("home_store").filter(pk=member_id).first()
    if member is None or not member_in_scope(actor, member):
        raise NotFound(_("Unknown member."), code="member_not_found", field="member_id")
    if body:
        unknown = unknown_variables(body + subject)
        if unknown:
            raise ValidationFailed(
                _("Unknown variables: %(names)s") % {"names": ", ".join(unknown)},
                code="care_template_variable_unknown",
                field="body",
            )
        kind = wording.kind if wording else MessageKind.MARKETING
        wording = Wording(code, channel, kind, subject, body)
    assert wording is not None
    context = {
        **member_context(member),
        "code": "123456",
        "purpose": "登录",
        "minutes": 5,
        "coupon": "送您一张“示例券”，券码HY0000。",
        "amount": "+100",
        "days": 7,
        "date": f"{timezone.localdate():%Y-%m-%d}",
        "years": 1,
        "gap": "再消费¥200.00",
    }
    url = sending.unsubscribe_url(member.pk) if wording.kind == MessageKind.MARKETING else ""
    subj, text = render_wording(wording, context, unsubscribe_url=url)
    return Preview(subject=subj, body=text, kind=wording.kind, length=len(text))


def member_opt_out(*, actor: Actor, member_id: int) -> OptOut:
    """Staff record a member's 退订 (asked at the counter, on the phone)."""
    require(actor, Perm.MEMBER_EDIT)
    member = Member.objects.filter(pk=member_id).first()
    if member is None or not member_in_scope(actor, member):
        raise NotFound(_("Unknown member."), code="member_not_found")
    with transaction.atomic():
        created = sending.opt_out(member_id=member.pk, source=OptOut.Source.STAFF)
        if created:
            audit_record(
                actor=actor,
                action="care.opted_out",
                subject_type="member",
                subject_id=member.pk,
                member_id=member.pk,
                after={"source": "staff"},
            )
    return OptOut.objects.get(member_id=member.pk)


def member_opt_in(*, actor: Actor, member_id: int) -> None:
    """The member asked to receive offers again (staff record it)."""
    require(actor, Perm.MEMBER_EDIT)
    member = Member.objects.filter(pk=member_id).first()
    if member is None or not member_in_scope(actor, member):
        raise NotFound(_("Unknown member."), code="member_not_found")
    with transaction.atomic():
        deleted, _rows = OptOut.objects.filter(member_id=member.pk).delete()
        if deleted:
            audit_record(
                actor=actor,
                action="care.opted_in",
                subject_type="member",
                subject_id=member.pk,
                member_id=member.pk,
            )


def unsubscribe_by_token(token: str) -> Member | None:
    """The 退订 link: the member it names opts out at once (None: a bad link)."""
    member_id = sending.unsubscribe_member_id(token)
    if member_id is None:
        return None
    member = Member.objects.filter(pk=member_id).first()
    if member is not None:
        sending.opt_out(member_id=member.pk, source=OptOut.Source.LINK)
    return member


def sms_reply_receive(*, mobile: str, content: str) -> bool:
    """An inbound SMS reply: ``TD``/``退订`` opts the sender out at once. True when it did."""
    word = "".join(content.split()).upper()
    if word not in UNSUBSCRIBE_WORDS:
        return False
    try:
        normalized = china.normalize_mobile(mobile)
    except ValidationFailed:
        return False
    member = Member.objects.filter(mobile_hash=pii.keyed_hash(normalized)).first()
    if member is None:
        return False
    sending.opt_out(member_id=member.pk, source=OptOut.Source.SMS)
    return True
