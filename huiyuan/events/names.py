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
    # Paid benefit cards (huiyuan/benefits, docs/benefits.md).
    "benefit.opened": _spec(
        _("Benefit card opened"), "benefit_id", "plan_id", "sale_id", "card_id", "paid_fen"
    ),
    "benefit.renewed": _spec(
        _("Benefit card renewed"), "benefit_id", "change_id", "sale_id", "paid_fen"
    ),
    "benefit.renewal_returned": _spec(
        _("Benefit card renewal returned"), "benefit_id", "change_id", "sale_id"
    ),
    "benefit.upgraded": _spec(
        _("Benefit card upgraded"),
        "benefit_id",
        "target_id",
        "change_id",
        "credit_fen",
        "due_fen",
        "method",
    ),
    "benefit.refunded": _spec(
        _("Benefit card refunded"), "benefit_id", "change_id", "amount_fen", "fee_fen", "method"
    ),
    "benefit.closed": _spec(_("Benefit card closed"), "benefit_id", "plan_id", "status"),
    "benefit.expiring": _spec(
        _("Benefit card expiring"), "benefit_id", "plan_id", "reminder_id", "days_left"
    ),
    # Referrals (huiyuan/referrals, docs/referrals.md).
    "referral.rewarded": _spec(
        _("Referral reward given"),
        "reward_id",
        "referee_id",
        "kind",
        "points",
        "card_id",
        "coupon_id",
        "coupon_refusal",
    ),
    "referral.commission_held": _spec(
        _("Referral commission held"), "commission_id", "sale_id", "level", "amount_fen"
    ),
    "referral.commission_reversed": _spec(
        _("Referral commission reversed"), "commission_id", "sale_id", "level", "amount_fen"
    ),
    "referral.commission_released": _spec(
        _("Referral commission released"), "commission_id", "sale_id", "level", "amount_fen"
    ),
    "referral.commission_paid": _spec(
        _("Referral commission paid out"), "payout_id", "card_id", "operation_id", "amount_fen"
    ),
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
    # Online recharge and the payment PIN (huiyuan/payments, docs/payments.md).
    "online_order.paid": _spec(
        _("Online recharge paid"), "order_id", "card_id", "amount_fen", "provider", "recharge_id"
    ),
    "online_order.failed": _spec(
        _("Online payment received, recharge refused"),
        "order_id",
        "card_id",
        "amount_fen",
        "provider",
        "recharge_id",
    ),
    "payment_pin.locked": _spec(_("Payment PIN locked"), "lockout_minutes"),
    # Activities and points tasks (huiyuan/activities, docs/activities.md).
    "activity.published": _spec(_("Activity published"), "activity_id", "kind"),
    "activity.changed": _spec(_("Activity changed"), "activity_id", "version", "notified"),
    "activity.ended": _spec(_("Activity ended"), "activity_id", "status"),
    "activity.signed_up": _spec(
        _("Signed up for an activity"), "signup_id", "activity_id", "status", "fee_fen"
    ),
    "activity.signup_cancelled": _spec(
        _("Activity sign-up cancelled"), "signup_id", "activity_id", "refund_fen"
    ),
    "activity.seat_promoted": _spec(
        _("Moved from the waiting list to a seat"), "signup_id", "activity_id"
    ),
    "activity.attended": _spec(_("Activity attendance checked in"), "signup_id", "activity_id"),
    "activity.reward_given": _spec(
        _("Activity reward given"), "grant_id", "activity_id", "task_id", "points", "coupon_id"
    ),
    "activity.reward_reversed": _spec(
        _("Activity reward taken back"), "grant_id", "activity_id", "points", "coupon_id"
    ),
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
