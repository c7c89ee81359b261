"""The member page's packages block (registered with ``register_member_section``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import lazy

from huiyuan.audit.selectors import action_label
from huiyuan.console.packages.counter import package_rows
from huiyuan.console.views import (
    ACTION_LABELS,
    MEMBER_SECTIONS,
    MemberSection,
    register_member_section,
)
from huiyuan.core.permissions import Actor, Perm
from huiyuan.members.models import Member
from huiyuan.packages import selectors

TEMPLATE = "console/packages/member_section.html"


def member_packages_section(request: HttpRequest, actor: Actor, member: Member) -> dict[str, Any]:
    """The member's packages, active first: what is left and until when."""
    packages = selectors.member_packages(actor=actor, member_id=member.pk)
    return {
        "rows": package_rows(packages, actor.store_id),
        "may_use": actor.has(Perm.SALE_CREATE),
    }


# The member page's history: icons for the packages' actions (labels from the audit log).
HISTORY_ACTIONS: dict[str, tuple[str, str]] = {
    "package.opened": ("ti-ticket", "green"),
    "package.used": ("ti-ticket", "blue"),
    "package.use_undone": ("ti-arrow-back-up", "orange"),
    "package.refunded": ("ti-cash", "orange"),
    "package.cancelled": ("ti-ticket-off", "red"),
    "package.expired": ("ti-clock-off", "secondary"),
}
_lazy_label = lazy(action_label, str)
for _action, (_icon, _color) in HISTORY_ACTIONS.items():
    ACTION_LABELS.setdefault(_action, (_lazy_label(_action), _icon, _color))

if not any(s.template == TEMPLATE for s in MEMBER_SECTIONS):
    register_member_section(MemberSection(template=TEMPLATE, context=member_packages_section))
