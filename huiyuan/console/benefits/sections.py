"""The member page's benefit-card block (registered with ``register_member_section``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import lazy

from huiyuan.audit.selectors import action_label
from huiyuan.benefits import selectors
from huiyuan.console.benefits.views import privileges
from huiyuan.console.views import (
    ACTION_LABELS,
    MEMBER_SECTIONS,
    MemberSection,
    register_member_section,
)
from huiyuan.core.clock import local_date
from huiyuan.core.permissions import Actor
from huiyuan.members.models import Member

TEMPLATE = "console/benefits/member_section.html"


def member_benefits_section(request: HttpRequest, actor: Actor, member: Member) -> dict[str, Any]:
    """The member's benefit cards, the active one first: what it gives and until when."""
    rows = selectors.member_benefits(actor=actor, member_id=member.pk)
    return {
        "rows": [(b, privileges(b.terms)) for b in rows[:5]],
        "today": local_date(timezone.now()),
    }


HISTORY_ACTIONS: dict[str, tuple[str, str]] = {
    "benefit.opened": ("ti-id-badge-2", "green"),
    "benefit.renewed": ("ti-refresh", "green"),
    "benefit.renewal_returned": ("ti-arrow-back-up", "orange"),
    "benefit.upgraded": ("ti-arrow-big-up-lines", "blue"),
    "benefit.refund_paid": ("ti-cash", "orange"),
    "benefit.closed": ("ti-id-badge-off", "secondary"),
    "benefit.reminded": ("ti-bell", "secondary"),
}
_lazy_label = lazy(action_label, str)
for _action, (_icon, _color) in HISTORY_ACTIONS.items():
    ACTION_LABELS.setdefault(_action, (_lazy_label(_action), _icon, _color))

if not any(s.template == TEMPLATE for s in MEMBER_SECTIONS):
    register_member_section(MemberSection(template=TEMPLATE, context=member_benefits_section))
