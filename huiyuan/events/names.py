"""The catalogue of domain events: each name, what it means, and its payload's keys.

``event_emit`` refuses a name missing here and a payload whose keys differ from the ones
declared, so this file and ``docs/events.md`` stay the truth about what subscribers get.
Payloads hold ids, amounts (fen, points) and codes only — never personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class EventSpec:
    label: str | Promise
    keys: frozenset[str]


def _spec(label: str | Promise, *keys: str) -> EventSpec:
    return EventSpec(label=label, keys=frozenset(keys))


SALE_AMOUNTS = (
    "payable_fen",
    "paid_principal_fen",
    "paid_bonus_fen",
    "points_used",
    "points_earned",
)

EVENTS: dict[str, EventSpec] = {
    "sale.completed": _spec(
        _("Sale completed"),
        "sale_id",
        "card_id",
        "operation_id",
        "amount_fen",
        "discount_fen",
        "points_offset_fen",
        "paid_external_fen",
        "external_method",
        *SALE_AMOUNTS,
    ),
    "sale.returned": _spec(
        _("Sale returned"),
        "sale_id",
        "return_id",
        "card_id",
        "operation_id",
        "refund_principal_fen",
        "refund_bonus_fen",
        "refund_external_fen",
        "points_returned",
        "points_taken_back",
    ),
    "sale.reversed": _spec(_("Sale reversed"), "sale_id", "card_id", "operation_id", *SALE_AMOUNTS),
    "wallet.recharged": _spec(
        _("Wallet recharged"),
        "recharge_id",
        "card_id",
        "operation_id",
        "principal_fen",
        "bonus_fen",
        "method",
        "package_id",
    ),
    "wallet.refunded": _spec(
        _("Wallet refunded"),
        "refund_id",
        "card_id",
        "operation_id",
        "principal_fen",
        "bonus_clawback_fen",
        "method",
    ),
    "tier.changed": _spec(_("Tier changed"), "from_tier_id", "to_tier_id", "kind"),
    "member.registered": _spec(_("Member registered"), "channel", "referrer_id"),
    "card.issued": _spec(_("Card issued"), "card_id", "card_type_id", "replaces_card_id"),
    "card.reissued": _spec(_("Card reissued"), "old_card_id", "new_card_id", "moved"),
    "card.activated": _spec(
        _("Pre-made card activated"), "card_id", "card_type_id", "batch_id", "principal_fen"
    ),
    "card_batch.sold": _spec(
        _("Card batch sold"), "batch_id", "card_type_id", "cards", "amount_fen", "method"
    ),
    "card_batch.voided": _spec(
        _("Card batch cards voided"), "batch_id", "void_id", "cards", "refund_fen", "method"
    ),
    "points.adjusted": _spec(_("Points adjusted"), "card_id", "operation_id", "delta"),
    "points.matured": _spec(_("Pending points matured"), "card_id", "points", "lots"),
    # Count, period and course cards (huiyuan/packages, docs/packages.md).
    "package.opened": _spec(
        _("Package opened"), "package_id", "plan_id", "sale_id", "card_id", "paid_fen"
    ),
    "package.used": _spec(_("Package used"), "package_id", "use_id", "item_id", "remaining"),
    "package.use_undone": _spec(
        _("Package use undone"), "package_id", "use_id", "undo_id", "remaining"
    ),
    "package.refunded": _spec(
        _("Package refunded"), "package_id", "refund_id", "amount_fen", "fee_fen", "method"
    ),
    "package.cancelled": _spec(_("Package cancelled"), "package_id", "sale_id", "return_id"),
    "package.expiring": _spec(
        _("Package expiring"), "package_id", "plan_id", "days_left", "remaining"
    ),
    "package.expired": _spec(_("Package expired"), "package_id", "plan_id", "remaining"),
    "shift.opened": _spec(
        _("Shift opened"),
        "shift_id",
        "cashier_id",
        "terminal_id",
        "float_fen",
        "previous_shift_id",
    ),
    "shift.closed": _spec(
        _("Shift closed"),
        "shift_id",
        "cashier_id",
        "expected_cash_fen",
        "counted_cash_fen",
        "cash_difference_fen",
    ),
    "gift.redeemed": _spec(
        _("Gift redeemed"),
        "redemption_id",
        "gift_id",
        "card_id",
        "operation_id",
        "quantity",
        "points",
        "cash_fen",
        "channel",
    ),
    "gift.redemption_cancelled": _spec(
        _("Gift redemption cancelled"),
        "redemption_id",
        "gift_id",
        "card_id",
        "operation_id",
        "quantity",
        "points",
    ),
    "lottery.drawn": _spec(
        _("Lottery drawn"),
        "draw_id",
        "lottery_id",
        "card_id",
        "operation_id",
        "prize_id",
        "prize_kind",
        "points_cost",
        "points_won",
    ),
    "checkin.recorded": _spec(
        _("Daily check-in"), "checkin_id", "card_id", "operation_id", "streak", "points"
    ),
    # Coupons (huiyuan/coupons, docs/coupons.md).
    "coupon.issued": _spec(_("Coupon issued"), "coupon_id", "template_id", "channel"),
    "coupon.used": _spec(_("Coupon used"), "coupon_id", "template_id", "sale_id", "discount_fen"),
    "coupon.restored": _spec(_("Coupon restored"), "coupon_id", "template_id", "sale_id"),
}

# Keys that would carry personal data; no payload may use them, whatever the catalogue says.
PERSONAL_KEYS = frozenset(
    {
        "name",
        "member_name",
        "mobile",
        "phone",
        "id_number",
        "address",
        "email",
        "birthday",
        "lunar_birthday",
        "card_number",
        "number",
    }
)


def event_label(name: str) -> str | Promise:
    spec = EVENTS.get(name)
    return spec.label if spec else name
