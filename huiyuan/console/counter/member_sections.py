"""The member page's money sections (cards, balances, lots, ledger, sales, tier) and the
labels of money actions in its history, registered with ``register_member_section``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import lazy

from huiyuan.audit.selectors import action_label
from huiyuan.cards import selectors as card_selectors
from huiyuan.checkout import selectors as sale_selectors
from huiyuan.console.counter.forms import TierMoveForm
from huiyuan.console.counter.labels import TIER_CHANGE_LABELS
from huiyuan.console.counter.ledger import ledger_rows, lot_rows
from huiyuan.console.counter.pages import counter_perms
from huiyuan.console.counter.panel import card_panel
from huiyuan.console.views import (
    ACTION_LABELS,
    MEMBER_SECTIONS,
    MemberSection,
    register_member_section,
)
from huiyuan.core.permissions import Actor, Perm
from huiyuan.members.models import Member
from huiyuan.points.models import PointsPolicy
from huiyuan.stores.selectors import store_names
from huiyuan.tiers import selectors as tier_selectors
from huiyuan.tiers import services as tier_services

HISTORY_ON_PAGE = 15


def member_money_section(request: HttpRequest, actor: Actor, member: Member) -> dict[str, Any]:
    """The member page's cards, balances, lots, ledger, sales and tier."""
    cards = card_selectors.member_cards(actor=actor, member=member)
    holders = card_selectors.card_holders(actor=actor, cards=[c.card for c in cards])
    stores = store_names()
    numbers = {c.card.pk: c.card.number for c in cards}
    entries = list(card_selectors.member_entries(actor=actor, member=member)[: HISTORY_ON_PAGE + 1])
    tiers = tier_selectors.tier_list()
    policy = PointsPolicy.current()
    return {
        "cards": [card_panel(c, holders=holders.get(c.card.pk), viewer=member) for c in cards],
        "lots": lot_rows(actor, cards, stores),
        "ledger": ledger_rows(entries[:HISTORY_ON_PAGE], numbers, stores),
        "ledger_more": len(entries) > HISTORY_ON_PAGE,
        "sales": sale_selectors.member_sales(actor=actor, member=member, limit=10),
        "tier": tier_services.current_tier(member),
        "tier_history": [
            (change, str(TIER_CHANGE_LABELS.get(change.kind, change.kind)))
            for change in tier_selectors.tier_history(actor=actor, member=member, limit=10)
        ],
        "tier_form": TierMoveForm(tiers=tiers) if actor.has(Perm.TIER_MOVE) and tiers else None,
        "may": counter_perms(actor),
        "points_per_yuan": policy.points_per_yuan,
        "member_active": member.status == Member.Status.ACTIVE,
    }


# The member page's history reads these actions; give them their audit-log labels.
HISTORY_ACTIONS: dict[str, tuple[str, str]] = {
    "card.issued": ("ti-credit-card", "blue"),
    "card.reported_lost": ("ti-lock", "red"),
    "card.found": ("ti-lock-open", "green"),
    "card.reissued": ("ti-replace", "orange"),
    "card.renewed": ("ti-calendar-plus", "blue"),
    "card.cancelled": ("ti-credit-card-off", "secondary"),
    "card.holder_added": ("ti-users-plus", "blue"),
    "wallet.recharged": ("ti-wallet", "green"),
    "wallet.refunded": ("ti-arrow-back-up", "orange"),
    "sale.completed": ("ti-cash-register", "blue"),
    "sale.reversed": ("ti-arrow-back-up", "red"),
    "points.adjusted": ("ti-coins", "yellow"),
    "points.supplemented": ("ti-receipt-2", "yellow"),
    "tier.initial": ("ti-crown", "yellow"),
    "tier.upgrade": ("ti-trending-up", "green"),
    "tier.downgrade": ("ti-trending-down", "orange"),
    "tier.manual": ("ti-crown", "purple"),
}
_lazy_label = lazy(action_label, str)
for _action, (_icon, _color) in HISTORY_ACTIONS.items():
    ACTION_LABELS.setdefault(_action, (_lazy_label(_action), _icon, _color))

MONEY_SECTION = "console/counter/member_money.html"
if not any(s.template == MONEY_SECTION for s in MEMBER_SECTIONS):
    register_member_section(MemberSection(template=MONEY_SECTION, context=member_money_section))
