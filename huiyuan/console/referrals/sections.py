"""The member page's referral block (registered with ``register_member_section``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import lazy

from huiyuan.audit.selectors import action_label
from huiyuan.console.referrals.views import referral_block
from huiyuan.console.views import (
    ACTION_LABELS,
    MEMBER_SECTIONS,
    MemberSection,
    register_member_section,
)
from huiyuan.core.permissions import Actor
from huiyuan.members.models import Member

TEMPLATE = "console/referrals/member_section.html"


def member_referral_section(request: HttpRequest, actor: Actor, member: Member) -> dict[str, Any]:
    return referral_block(request, member)


HISTORY_ACTIONS: dict[str, tuple[str, str]] = {
    "referral.rewarded": ("ti-gift", "green"),
    "referral.commission_held": ("ti-hourglass", "blue"),
    "referral.commission_reversed": ("ti-arrow-back-up", "orange"),
    "referral.commission_released": ("ti-coin", "green"),
}
_lazy_label = lazy(action_label, str)
for _action, (_icon, _color) in HISTORY_ACTIONS.items():
    ACTION_LABELS.setdefault(_action, (_lazy_label(_action), _icon, _color))

if not any(s.template == TEMPLATE for s in MEMBER_SECTIONS):
    register_member_section(MemberSection(template=TEMPLATE, context=member_referral_section))
