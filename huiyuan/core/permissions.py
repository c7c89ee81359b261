"""Roles, permissions and the acting principal.

A role is a fixed bundle of permissions. Store-scoped roles act only in their stores;
head-office roles act chain-wide. Every service takes an ``Actor`` and checks with
``require`` before it writes; views and API endpoints check too (never only by hiding a
button).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import PermissionDenied

if TYPE_CHECKING:
    from huiyuan.stores.models import Staff, Terminal


class Role(StrEnum):
    OWNER = "owner"
    HQ_ADMIN = "hq_admin"
    STORE_MANAGER = "store_manager"
    CASHIER = "cashier"
    CALL_CENTER = "call_center"
    MARKETER = "marketer"


ROLE_LABELS = {
    Role.OWNER: _("Owner"),
    Role.HQ_ADMIN: _("HQ admin"),
    Role.STORE_MANAGER: _("Store manager"),
    Role.CASHIER: _("Cashier"),
    Role.CALL_CENTER: _("Call-center agent"),
    Role.MARKETER: _("Marketer"),
}


class Perm(StrEnum):
    MEMBER_VIEW = "member.view"
    MEMBER_CREATE = "member.create"
    MEMBER_EDIT = "member.edit"
    MEMBER_FREEZE = "member.freeze"
    MEMBER_CANCEL = "member.cancel"
    MEMBER_TERMINATE = "member.terminate"
    MEMBER_MERGE = "member.merge"
    MEMBER_EXPORT = "member.export"
    MEMBER_VIEW_PII = "member.view_pii"
    MEMBER_CONFIGURE = "member.configure"  # custom fields, tags
    AUDIT_VIEW = "audit.view"
    STORE_VIEW = "store.view"
    STORE_MANAGE = "store.manage"
    STAFF_MANAGE = "staff.manage"
    APIKEY_MANAGE = "apikey.manage"
    DASHBOARD_VIEW = "dashboard.view"
    CARD_ISSUE = "card.issue"
    CARD_MANAGE = "card.manage"  # report lost, reissue, renew, cancel
    CARD_CONFIGURE = "card.configure"  # card types
    CARD_ACTIVATE = "card.activate"  # activate a pre-made card with its secret code
    CARD_BATCH_VIEW = "card_batch.view"  # pre-made card batches (卡密): list, report
    CARD_BATCH_MANAGE = "card_batch.manage"  # generate a batch, void its unactivated cards
    CARD_BATCH_SELL = "card_batch.sell"  # receive the buying company's payment
    CARD_BATCH_EXPORT = "card_batch.export"  # print the secret codes (owner, head office)
    WALLET_RECHARGE = "wallet.recharge"
    WALLET_REFUND = "wallet.refund"
    WALLET_BATCH = "wallet.batch"  # enterprise batch recharge
    WALLET_CONFIGURE = "wallet.configure"  # packages, limits, spend order
    PAYMENT_VIEW = "payment.view"  # online recharge orders and their notifications
    SALE_CREATE = "sale.create"
    SALE_REVERSE = "sale.reverse"
    POINTS_ADJUST = "points.adjust"
    POINTS_CONFIGURE = "points.configure"  # earn rules, policy
    TIER_CONFIGURE = "tier.configure"
    TIER_MOVE = "tier.move"
    REPORT_VIEW = "report.view"
    REPORT_SCHEDULE = "report.schedule"  # e-mail reports on a schedule (own stores)
    EVENT_VIEW = "event.view"  # the outbox of domain events
    EVENT_RETRY = "event.retry"
    CATALOG_VIEW = "catalog.view"  # products, categories, prices, bundles
    CATALOG_MANAGE = "catalog.manage"  # the chain's catalog and chain-wide prices
    CATALOG_STORE_PRICE = "catalog.store_price"  # a store's own prices
    WEBHOOK_MANAGE = "webhook.manage"  # webhook subscriptions, their delivery log, replay
    IMPORT_MEMBERS = "import.members"  # import members from a spreadsheet (bulk)
    IMPORT_LEGACY = "import.legacy"  # opening balances from a legacy system (owner, head office)
    COMMISSION_CONFIGURE = "commission.configure"  # staff commission rules (导购提成)
    GIFT_VIEW = "gift.view"  # gift catalog, stock movements, redemption records, lotteries
    GIFT_MANAGE = "gift.manage"  # gifts, restock, delist, batch distribution, lotteries
    GIFT_REDEEM = "gift.redeem"  # redeem a gift or draw a lottery for a member at the counter
    CHECKIN_RECORD = "checkin.record"  # record a member's daily check-in (签到)
    STOCK_VIEW = "stock.view"  # stock on hand, movements, stocktakes, transfers
    STOCK_MANAGE = "stock.manage"  # purchase-in, adjust, stocktake, transfer (own stores)
    STOCK_CONFIGURE = "stock.configure"  # tracked products, selling-below-zero policy
    COUPON_VIEW = "coupon.view"  # coupon templates, coupons, statistics, dry runs
    COUPON_MANAGE = "coupon.manage"  # create, edit, stop templates; batch issues
    COUPON_ISSUE = "coupon.issue"  # issue a coupon to a member by hand, claim, group-buy
    ACTIVITY_VIEW = "activity.view"  # activities, sign-ups, statistics, dry runs
    ACTIVITY_MANAGE = "activity.manage"  # create, publish, change, end activities; tasks, grants
    ACTIVITY_SIGNUP = "activity.signup"  # sign a member up, cancel, check attendance in
    FOLLOWUP_VIEW = "followup.view"  # follow-up tasks (回访): lists, outcomes on the member page
    FOLLOWUP_WORK = "followup.work"  # take a task, log a call's outcome
    FOLLOWUP_MANAGE = "followup.manage"  # create a task by hand, assign, cancel
    FOLLOWUP_CONFIGURE = "followup.configure"  # the automatic follow-up policy (owner, head office)
    SURVEY_VIEW = "survey.view"  # questionnaires, answers, statistics, Excel export
    SURVEY_MANAGE = "survey.manage"  # build, publish, close and distribute questionnaires
    FEEDBACK_VIEW = "feedback.view"  # feedback and complaints (意见与投诉)
    FEEDBACK_MANAGE = "feedback.manage"  # file, reply, change status and owner
    SEGMENT_VIEW = "segment.view"  # segments, RFM, predictions, cross-sell (own stores)
    SEGMENT_MANAGE = "segment.manage"  # save segments, RFM cut points, recompute profiles
    IMPORT_SALES = "import.sales"  # import past sales (history for RFM and prediction)
    CARE_VIEW = "care.view"  # messages: delivery log, templates, campaigns, care rules
    CARE_MANAGE = "care.manage"  # templates, care rules, DM campaigns (create, start)
    REFERRAL_PAYOUT = "referral.payout"  # pay released referral commission into stored value


_ALL = frozenset(Perm)
ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.OWNER: _ALL,
    Role.HQ_ADMIN: _ALL,
    Role.STORE_MANAGER: frozenset(
        {
            Perm.MEMBER_VIEW,
            Perm.MEMBER_CREATE,
            Perm.MEMBER_EDIT,
            Perm.MEMBER_FREEZE,
            Perm.MEMBER_CANCEL,
            Perm.MEMBER_TERMINATE,
            Perm.MEMBER_MERGE,
            Perm.MEMBER_EXPORT,
            Perm.MEMBER_VIEW_PII,
            Perm.IMPORT_MEMBERS,
            Perm.AUDIT_VIEW,
            Perm.STORE_VIEW,
            Perm.STAFF_MANAGE,  # their stores' cashiers and managers only (stores/services)
            Perm.APIKEY_MANAGE,
            Perm.DASHBOARD_VIEW,
            Perm.CARD_ISSUE,
            Perm.CARD_MANAGE,
            Perm.CARD_ACTIVATE,
            Perm.CARD_BATCH_VIEW,
            Perm.CARD_BATCH_SELL,
            Perm.WALLET_RECHARGE,
            Perm.WALLET_REFUND,
            Perm.REFERRAL_PAYOUT,
            Perm.PAYMENT_VIEW,
            Perm.SALE_CREATE,
            Perm.SALE_REVERSE,
            Perm.POINTS_ADJUST,
            Perm.TIER_MOVE,
            Perm.REPORT_VIEW,
            Perm.REPORT_SCHEDULE,
            Perm.CATALOG_VIEW,
            Perm.CATALOG_STORE_PRICE,
            Perm.GIFT_VIEW,
            Perm.GIFT_REDEEM,
            Perm.CHECKIN_RECORD,
            Perm.STOCK_VIEW,
            Perm.STOCK_MANAGE,
            Perm.COUPON_VIEW,
            Perm.COUPON_ISSUE,
            Perm.ACTIVITY_VIEW,
            Perm.ACTIVITY_SIGNUP,
            Perm.FOLLOWUP_VIEW,
            Perm.FOLLOWUP_WORK,
            Perm.FOLLOWUP_MANAGE,
            Perm.SURVEY_VIEW,
            Perm.FEEDBACK_VIEW,
            Perm.FEEDBACK_MANAGE,
            Perm.SEGMENT_VIEW,
            Perm.SEGMENT_MANAGE,
            Perm.CARE_VIEW,
        }
    ),
    Role.CASHIER: frozenset(
        {
            Perm.MEMBER_VIEW,
            Perm.MEMBER_CREATE,
            Perm.MEMBER_EDIT,
            Perm.DASHBOARD_VIEW,
            Perm.CARD_ISSUE,
            Perm.CARD_MANAGE,
            Perm.CARD_ACTIVATE,
            Perm.WALLET_RECHARGE,
            Perm.PAYMENT_VIEW,
            Perm.SALE_CREATE,
            Perm.CATALOG_VIEW,
            Perm.GIFT_VIEW,
            Perm.GIFT_REDEEM,
            Perm.CHECKIN_RECORD,
            Perm.STOCK_VIEW,
            Perm.COUPON_VIEW,
            Perm.COUPON_ISSUE,
            Perm.ACTIVITY_VIEW,
            Perm.ACTIVITY_SIGNUP,
            Perm.FOLLOWUP_VIEW,
            Perm.FOLLOWUP_WORK,
            Perm.FEEDBACK_VIEW,
            Perm.FEEDBACK_MANAGE,
        }
    ),
    Role.CALL_CENTER: frozenset(
        {
            Perm.MEMBER_VIEW,
            Perm.MEMBER_CREATE,
            Perm.MEMBER_EDIT,
            Perm.DASHBOARD_VIEW,
            Perm.FOLLOWUP_VIEW,
            Perm.FOLLOWUP_WORK,
            Perm.FOLLOWUP_MANAGE,
            Perm.FEEDBACK_VIEW,
            Perm.FEEDBACK_MANAGE,
        }
    ),
    Role.MARKETER: frozenset(
        {
            Perm.MEMBER_VIEW,
            Perm.MEMBER_EXPORT,
            Perm.STORE_VIEW,
            Perm.DASHBOARD_VIEW,
            Perm.REPORT_VIEW,
            Perm.CATALOG_VIEW,
            Perm.GIFT_VIEW,
            Perm.GIFT_MANAGE,
            Perm.COUPON_VIEW,
            Perm.COUPON_MANAGE,
            Perm.COUPON_ISSUE,
            Perm.ACTIVITY_VIEW,
            Perm.ACTIVITY_MANAGE,
            Perm.SURVEY_VIEW,
            Perm.SURVEY_MANAGE,
            Perm.FEEDBACK_VIEW,
            Perm.SEGMENT_VIEW,
            Perm.SEGMENT_MANAGE,
            Perm.CARE_VIEW,
            Perm.CARE_MANAGE,
        }
    ),
}

# Roles whose scope is the whole chain; the others act only in their assigned stores.
CHAIN_WIDE_ROLES = frozenset({Role.OWNER, Role.HQ_ADMIN, Role.CALL_CENTER, Role.MARKETER})


@dataclass(frozen=True)
class Actor:
    """Who performs an operation: a staff member, or a terminal through its API key."""

    role: Role
    staff: Staff | None = None
    terminal: Terminal | None = None
    # None means every store of the chain.
    store_ids: frozenset[int] | None = field(default=None)
    # The store the operation happens at (a terminal's store, a cashier's current store).
    store_id: int | None = None
    # An API key's scopes, as the permissions they allow (None: not limited by scopes).
    # The actor holds what its role AND its scopes allow (huiyuan/stores/api_scopes.py).
    scope_perms: frozenset[Perm] | None = None

    @property
    def perms(self) -> frozenset[Perm]:
        if self.scope_perms is None:
            return ROLE_PERMS[self.role]
        return ROLE_PERMS[self.role] & self.scope_perms

    def has(self, perm: Perm) -> bool:
        return perm in self.perms

    def covers_store(self, store_id: int | None) -> bool:
        return self.store_ids is None or (store_id is not None and store_id in self.store_ids)

    @property
    def label(self) -> str:
        if self.staff is not None:
            return self.staff.display_name
        if self.terminal is not None:
            return f"terminal:{self.terminal.code}"
        return "system"


def require(
    actor: Actor, perm: Perm, *, store_id: int | None = None, check_store: bool = False
) -> None:
    """Refuse unless ``actor`` holds ``perm`` (and, when asked, acts in ``store_id``)."""
    if not actor.has(perm) and perm in ROLE_PERMS[actor.role]:
        # The role would allow it; the API key's scopes do not.
        raise PermissionDenied(
            _("This API key's scopes do not allow this."),
            code="scope_missing",
            details={"permission": perm.value},
        )
    if not actor.has(perm):
        raise PermissionDenied(
            _("You do not have permission to do this."),
            details={"permission": perm.value},
        )
    if check_store and not actor.covers_store(store_id):
        raise PermissionDenied(
            _("This store is outside your scope."),
            code="store_forbidden",
            details={"store_id": store_id},
        )
