"""The member page's follow-up block: open tasks and the outcome history."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import lazy

from huiyuan.audit.selectors import action_label
from huiyuan.console.views import (
    ACTION_LABELS,
    MEMBER_SECTIONS,
    MemberSection,
    register_member_section,
)
from huiyuan.core.permissions import Actor, Perm
from huiyuan.followups import selectors
from huiyuan.members.models import Member

TEMPLATE = "console/followups/member_section.html"


def member_followups_section(request: HttpRequest, actor: Actor, member: Member) -> dict[str, Any]:
    if not actor.has(Perm.FOLLOWUP_VIEW):
        return {"visible": False}
    return {
        "visible": True,
        "open": selectors.member_open_followups(actor=actor, member_id=member.pk),
        "attempts": selectors.member_attempts(actor=actor, member_id=member.pk, limit=10),
        "may_create": actor.has(Perm.FOLLOWUP_MANAGE),
        "may_feedback": actor.has(Perm.FEEDBACK_MANAGE),
    }


if not any(s.template == TEMPLATE for s in MEMBER_SECTIONS):
    register_member_section(MemberSection(template=TEMPLATE, context=member_followups_section))


# The member page's history: icons for the follow-up and feedback actions (labels from the
# audit log's catalogue).
HISTORY_ACTIONS: dict[str, tuple[str, str]] = {
    "followup.created": ("ti-phone-plus", "blue"),
    "followup.assigned": ("ti-user-share", "blue"),
    "followup.logged": ("ti-phone-call", "green"),
    "followup.cancelled": ("ti-phone-x", "secondary"),
    "followup.overdue": ("ti-alarm", "red"),
    "feedback.filed": ("ti-message-report", "orange"),
    "feedback.replied": ("ti-message-reply", "blue"),
    "feedback.status_changed": ("ti-progress-check", "green"),
    "feedback.assigned": ("ti-user-share", "blue"),
}
_lazy_label = lazy(action_label, str)
for _action, (_icon, _color) in HISTORY_ACTIONS.items():
    ACTION_LABELS.setdefault(_action, (_lazy_label(_action), _icon, _color))
