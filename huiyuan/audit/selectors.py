"""Reads of the audit log (O3): the filtered, store-scoped list and readable labels.

The one place that turns an event into words (used by the console's audit page and the
member history): ``ACTION_LABELS`` (what an action means), ``FIELD_LABELS`` and
``SUBJECT_FIELD_LABELS`` (what a snapshot key means), ``FIELD_KINDS`` (money in fen → ¥,
points, ‰ → %, tier code → its name), ``SUBJECT_CHOICES`` / ``KEY_CHOICES`` /
``VALUE_LABELS`` (a status code → its TextChoices label, per subject), and ISO timestamps
shown in the store's local time. Apps that record new actions or keys register them here
(``register_action_labels``, ``register_value_labels``); an unnamed action reads
"<subject> changed", never its code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huiyuan.audit.models import AuditEvent
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import ROLE_LABELS, Actor, Perm, require

# What each recorded action means, for people. Apps that add actions add their labels
# here (or through ``register_action_labels``) so the log never shows a bare code.
ACTION_LABELS: dict[str, str | Promise] = {
    "store.created": _("Store created"),
    "terminal.created": _("Terminal created"),
    "staff.created": _("Staff member created"),
    "staff.enabled": _("Staff member enabled"),
    "staff.disabled": _("Staff member disabled"),
    "staff.logged_in": _("Staff login"),
    "staff.password_changed": _("Password changed"),
    "staff.locked_out": _("Account locked after failed logins"),
    "staff.unlocked": _("Account unlocked"),
    "staff.second_factor_enrolled": _("Two-factor sign-in set up"),
    "staff.second_factor_reset": _("Two-factor sign-in reset"),
    "staff.backup_codes_renewed": _("Backup codes renewed"),
    "api_key.created": _("API key created"),
    "api_key.revoked": _("API key revoked"),
    "api_key.updated": _("API key scopes or limit changed"),
    "tag.created": _("Tag created"),
    "custom_field.created": _("Custom field created"),
    "custom_field.enabled": _("Custom field enabled"),
    "custom_field.disabled": _("Custom field disabled"),
    "member.registered": _("Member registered"),
    "member.updated": _("Member archive edited"),
    "member.frozen": _("Member frozen"),
    "member.unfrozen": _("Member unfrozen"),
    "member.cancelled": _("Membership cancelled"),
    "member.restored": _("Membership restored"),
    "member.terminated": _("Membership terminated"),
    "member.merged": _("Members merged"),
    "member.merged_away": _("Archive merged into another"),
    "member.pii_viewed": _("Personal data viewed"),
    "member.export_revealed": _("Members exported with full mobiles"),
    "card_type.created": _("Card type created"),
    "card.issued": _("Card issued"),
    "card.reported_lost": _("Card reported lost"),
    "card.found": _("Lost card found"),
    "card.reissued": _("Card reissued"),
    "card.renewed": _("Card renewed"),
    "card.cancelled": _("Card cancelled"),
    "card.holder_added": _("Card holder added"),
    "recharge_package.created": _("Recharge package created"),
    "wallet_policy.updated": _("Wallet policy changed"),
    "wallet.recharged": _("Wallet recharged"),
    "wallet.refunded": _("Wallet refunded"),
    "sale.completed": _("Sale completed"),
    "sale.reversed": _("Sale reversed"),
    "earn_rule.published": _("Points rule published"),
    "points.adjusted": _("Points adjusted"),
    "points.supplemented": _("Points added for a past sale"),
    "tier.created": _("Tier created"),
    "tier.initial": _("Initial tier assigned"),
    "tier.upgrade": _("Tier upgraded"),
    "tier.downgrade": _("Tier downgraded"),
    "tier.manual": _("Tier changed by hand"),
    "tier.updated": _("Tier edited"),
    "tier.evaluation_run": _("Tier review run"),
    "tier_policy.updated": _("Tier policy changed"),
    "card.activated": _("Gift card activated"),
    "card_type.default_set": _("Default card type set"),
    "card_batch.created": _("Card batch created"),
    "card_batch.generated": _("Card batch generated"),
    "card_batch.exported": _("Card batch exported"),
    "card_batch.sale_started": _("Card batch sale started"),
    "card_batch.sold": _("Card batch sold"),
    "card_batch.void_started": _("Card batch void started"),
    "card_batch.voided": _("Card batch voided"),
    "custom_field.updated": _("Custom field edited"),
    "tag.renamed": _("Tag renamed"),
    "tag.deleted": _("Tag deleted"),
    "member.tagged": _("Member tags changed"),
    "members.imported": _("Members imported"),
    "recharge_package.activated": _("Recharge package put on sale"),
    "recharge_package.deactivated": _("Recharge package taken off sale"),
    "wallet.batch_recharged": _("Batch recharge"),
    "sale.returned": _("Goods returned"),
    "points.matured": _("Pending points became usable"),
    "points.revoked": _("Points taken back"),
    "points_policy.updated": _("Points policy changed"),
    "points_day.saved": _("Double-points day saved"),
    "points_grant.started": _("Points gift started"),
    "points_grant.given": _("Points gift given"),
    "points_task.set": _("Points task set"),
    "points_task.completed": _("Points task completed"),
    "payment_pin.changed": _("Payment PIN changed"),
    "payment_pin.failed": _("Wrong payment PIN"),
    "payment_pin.locked": _("Payment PIN locked"),
    "pin_policy.updated": _("Payment PIN policy changed"),
    "online_order.created": _("Online recharge order created"),
    "online_order.paid": _("Online recharge paid"),
    "offline.batch_applied": _("Offline sales uploaded"),
    "shift.opened": _("Shift opened"),
    "shift.closed": _("Shift closed"),
    "holiday.set": _("Holiday set"),
    "holiday.deleted": _("Holiday deleted"),
    "joining_policy.changed": _("Joining policy changed"),
    "commission.rule_set": _("Commission rule set"),
    "commission.rule_retired": _("Commission rule retired"),
    "checkin.recorded": _("Check-in recorded"),
    "checkin.policy_updated": _("Check-in policy changed"),
    "coupon.issued": _("Coupon issued"),
    "coupon.used": _("Coupon used"),
    "coupon.restored": _("Coupon given back"),
    "coupon_batch.started": _("Coupon batch issue started"),
    "coupon_template.created": _("Coupon type created"),
    "coupon_template.updated": _("Coupon type edited"),
    "coupon_template.stopped": _("Coupon type stopped"),
    "promotion.published": _("Promotion published"),
    "promotion.ended": _("Promotion ended"),
    "groupbuy.redeemed": _("Group-buy voucher redeemed"),
    "catalog.category_created": _("Category created"),
    "catalog.category_updated": _("Category edited"),
    "catalog.product_created": _("Product created"),
    "catalog.product_updated": _("Product edited"),
    "catalog.product_delisted": _("Product delisted"),
    "catalog.product_relisted": _("Product relisted"),
    "catalog.products_imported": _("Products imported"),
    "catalog.bundle_items_set": _("Bundle contents set"),
    "catalog.price_scheduled": _("Price change scheduled"),
    "catalog.price_cancelled": _("Scheduled price cancelled"),
    "catalog.store_price_cleared": _("Store price removed"),
    "stock.adjusted": _("Stock adjusted"),
    "stock.item_updated": _("Stock item edited"),
    "stock.policy_updated": _("Stock policy changed"),
    "stock.purchase_received": _("Purchase received"),
    "stock.reorder_point_set": _("Reorder point set"),
    "stock.stocktake_created": _("Stocktake started"),
    "stock.stocktake_counted": _("Stocktake counted"),
    "stock.stocktake_posted": _("Stocktake posted"),
    "stock.stocktake_cancelled": _("Stocktake cancelled"),
    "stock.transfer_sent": _("Stock transfer sent"),
    "stock.transfer_received": _("Stock transfer received"),
    "stock.sale_out": _("Stock out for a sale"),
    "stock.return_in": _("Stock back from a return"),
    "stock.reversal_in": _("Stock back from a reversal"),
    "stock.insufficient": _("Sold beyond stock"),
    "gift.created": _("Gift created"),
    "gift.updated": _("Gift edited"),
    "gift.restocked": _("Gift restocked"),
    "gift.delisted": _("Gift delisted"),
    "gift.redeemed": _("Gift redeemed"),
    "gift.picked_up": _("Gift handed over"),
    "gift.redemption_cancelled": _("Gift redemption cancelled"),
    "gift.distribution_created": _("Gift distribution created"),
    "gift.distribution_done": _("Gift distribution done"),
    "lottery.created": _("Lottery created"),
    "lottery.started": _("Lottery started"),
    "lottery.ended": _("Lottery ended"),
    "lottery.drawn": _("Lottery drawn"),
    "lottery.prize_restocked": _("Lottery prize restocked"),
    "activity.created": _("Activity created"),
    "activity.changed": _("Activity edited"),
    "activity.published": _("Activity published"),
    "activity.ended": _("Activity ended"),
    "activity.cancelled": _("Activity cancelled"),
    "activity.signed_up": _("Signed up for an activity"),
    "activity.signup_cancelled": _("Activity sign-up cancelled"),
    "activity.seat_promoted": _("Moved up from the waiting list"),
    "activity.attended": _("Attended an activity"),
    "activity.reward_given": _("Activity reward given"),
    "activity.reward_reversed": _("Activity reward taken back"),
    "care.opted_in": _("Care messages switched on"),
    "care.opted_out": _("Care messages switched off"),
    "care_campaign.created": _("Care campaign created"),
    "care_campaign.started": _("Care campaign started"),
    "care_rule.saved": _("Care rule saved"),
    "care_template.saved": _("Care message template saved"),
    "segment.created": _("Segment created"),
    "segment.changed": _("Segment edited"),
    "segment.deleted": _("Segment deleted"),
    "segment.profiles_refreshed": _("Segment profiles refreshed"),
    "segment.rfm_settings_changed": _("RFM settings changed"),
    "import.uploaded": _("Import file uploaded"),
    "import.started": _("Import started"),
    "import.finished": _("Import finished"),
    "report_schedule.created": _("Report schedule created"),
    "report_schedule.deleted": _("Report schedule deleted"),
    "selfservice.account_deleted": _("Account deleted by the member"),
    "selfservice.consented": _("Member charter and privacy notice accepted"),
    "selfservice.data_exported": _("Member downloaded their data"),
    "selfservice.deletion_refused": _("Account deletion refused"),
    "selfservice.document_published": _("Charter or privacy notice published"),
    "selfservice.marketing_consent": _("Marketing consent changed"),
    "selfservice.password_changed": _("Portal password changed"),
    "selfservice.password_reset": _("Portal password reset"),
}

SUBJECT_LABELS: dict[str, str | Promise] = {
    "store": _("Store"),
    "terminal": _("Terminal"),
    "staff": _("Staff member"),
    "api_key": _("API key"),
    "tag": _("Tag"),
    "custom_field": _("Custom field"),
    "member": _("Member"),
    "card": _("Card"),
    "card_type": _("Card type"),
    "recharge_package": _("Recharge package"),
    "wallet_policy": _("Wallet policy"),
    "sale": _("Sale"),
    "earn_rule": _("Points rule"),
    "tier": _("Tier"),
    "product": _("Product"),
}

# Keys of the before/after snapshots, as people read them.
FIELD_LABELS: dict[str, str | Promise] = {
    "code": _("Code"),
    "failures": _("Failed logins"),
    "second_factor": _("Second factor"),
    "name": _("Name"),
    "username": _("User name"),
    "role": _("Role"),
    "stores": _("Stores"),
    "terminal": _("Terminal"),
    "prefix": _("Key prefix"),
    "is_active": _("In use"),
    "key": _("Key"),
    "label": _("Label"),
    "kind": _("Kind"),
    "mobile": _("Mobile"),
    "gender": _("Gender"),
    "birthday": _("Birthday"),
    "birthday_calendar": _("Birthday calendar"),
    "id_number": _("ID number"),
    "region": _("Region"),
    "address": _("Address"),
    "occupation": _("Occupation"),
    "preferences": _("Preferences"),
    "email": _("E-mail"),
    "custom_fields": _("Custom fields"),
    "tags": _("Tags"),
    "status": _("Status"),
    "earn_frozen": _("Earning frozen"),
    "spend_frozen": _("Spending frozen"),
    "home_store_id": _("Joining store"),
    "tier": _("Tier"),
    "card": _("Card number"),
    "number": _("Number"),
    "new_number": _("New card number"),
    "type": _("Card type"),
    "expires_at": _("Valid until"),
    "moved": _("Moved to the new card"),
    "principal": _("Stored value"),
    "principal_fen": _("Stored value"),
    "bonus": _("Bonus"),
    "bonus_clawback": _("Bonus taken back"),
    "method": _("Payment method"),
    "payable": _("Amount due"),
    "external": _("Paid by cash or online"),
    "lines": _("Lines"),
    "points": _("Points"),
    "points_used": _("Points used"),
    "points_earned": _("Points earned"),
    "delta": _("Points change"),
    "batch": _("Card batch"),
    "serial": _("Serial number"),
    "merged_into": _("Merged into"),
    "merged_from": _("Merged from"),
    "anonymised": _("Personal data erased"),
    "cards_blocked": _("Cards blocked"),
    "privileges": _("Privileges"),
    "reason": _("Reason"),
    "authorised_by": _("Authorised by"),
    "level": _("Level"),
    "threshold": _("Upgrade threshold"),
    "discount": _("Price paid (share of list price)"),
    "category": _("Category"),
    "category_discounts": _("Discounts by category"),
    "basis": _("Upgrade by"),
    "retention": _("Keep-tier threshold"),
    "store_id": _("Store"),
    "due_date": _("Due date"),
    "source_type": _("Source"),
    "source_id": _("Source number"),
}

# How a snapshot value is shown, per key: money in fen → ¥, points, counts. Keys ending in
# ``_fen`` are money; ISO timestamps are shown in the store's local time, whatever the key.
FIELD_KINDS: dict[str, str] = {
    "principal": "money",
    "bonus": "money",
    "bonus_clawback": "money",
    "payable": "money",
    "external": "money",
    "amount": "money",
    "points": "points",
    "points_used": "points",
    "points_earned": "points",
    "delta": "points",
    "moved": "amounts",  # {account kind: amount}: money, but points as points
    "tier": "tier",
    "discount": "permille",
}

# Per subject, a key whose values are another model's choices (a card's status is not a
# member's): "subject_type.key" → dotted path of the TextChoices, read when shown.
SUBJECT_CHOICES: dict[str, str] = {
    "card.status": "huiyuan.cards.models.Card.Status",
    "card_type.category": "huiyuan.cards.models.CardType.Category",
    "member.status": "huiyuan.members.models.Member.Status",
    "product.status": "huiyuan.catalog.models.Product.Status",
    "followup.reason": "huiyuan.followups.models.Followup.Reason",
    "followup.status": "huiyuan.followups.models.Followup.Status",
    "sale.status": "huiyuan.checkout.models.Sale.Status",
}
KEY_CHOICES: dict[str, str] = {
    "method": "huiyuan.wallet.models.PaymentMethod",
}


def register_action_labels(labels: dict[str, str | Promise]) -> None:
    """Let a later app name the actions it records."""
    ACTION_LABELS.update(labels)


def action_label(action: str, subject_type: str = "") -> str:
    """What ``action`` means, for people; an action nobody named reads "<subject> changed"."""
    label = ACTION_LABELS.get(action)
    if label is not None:
        return str(label)
    subject = SUBJECT_LABELS.get(subject_type or action.split(".", 1)[0])
    if subject is None:
        return str(pgettext_lazy("audit", "Other change"))
    return str(pgettext_lazy("audit", "%(subject)s changed")) % {"subject": subject}


def actor_display(label: str) -> str:
    """Who acted, for people: a member acting in the portal is not shown as ``member:12``."""
    if label.startswith("member:") or label == "portal":
        return str(pgettext_lazy("audit", "The member (self-service)"))
    if label.endswith(" (portal)"):
        return label[: -len(" (portal)")] + str(pgettext_lazy("audit", " (member portal)"))
    if label == "system":
        return str(pgettext_lazy("audit", "System"))
    return label


def subject_label(subject_type: str) -> str:
    label = SUBJECT_LABELS.get(subject_type)
    return str(label) if label is not None else subject_type


def action_choices(actor: Actor | None = None) -> list[tuple[str, str]]:
    """(action, label) for a filter's select, sorted by code so related actions group.

    With ``actor``: only the actions recorded within the actor's store scope (a store
    manager is not offered chain-level actions that can never match).
    """
    if actor is None:
        codes = set(ACTION_LABELS)
    else:
        qs = AuditEvent.objects.all()
        if actor.store_ids is not None:
            qs = qs.filter(store_id__in=actor.store_ids)
        codes = set(qs.order_by().values_list("action", flat=True).distinct())
    return [(code, action_label(code)) for code in sorted(codes)]


@dataclass(frozen=True)
class AuditFilters:
    member_ids: tuple[int, ...] | None = None
    staff_id: int | None = None
    store_id: int | None = None
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def audit_event_list(*, actor: Actor, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Events matching ``filters``, newest first, limited to the actor's stores.

    A store-scoped actor sees only events recorded at one of its stores; chain-level
    events (no store) are visible to chain-wide roles only.
    """
    require(actor, Perm.AUDIT_VIEW)
    qs = AuditEvent.objects.select_related("actor", "store", "terminal", "terminal__store")
    if actor.store_ids is not None:
        qs = qs.filter(store_id__in=actor.store_ids)
    if filters.member_ids is not None:
        qs = qs.filter(member_id__in=filters.member_ids)
    if filters.staff_id is not None:
        qs = qs.filter(actor_id=filters.staff_id)
    if filters.store_id is not None:
        qs = qs.filter(store_id=filters.store_id)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.date_from is not None:
        qs = qs.filter(created_at__gte=_start_of(filters.date_from))
    if filters.date_to is not None:
        qs = qs.filter(created_at__lt=_start_of(filters.date_to + dt.timedelta(days=1)))
    return qs.order_by("-created_at", "-id")


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the current time zone (an index-friendly bound)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# How enumerated values of a snapshot read, per key (member status, gender…).
VALUE_LABELS: dict[str, dict[str, str | Promise]] = {
    "gender": {"M": _("Male"), "F": _("Female"), "U": _("Unknown")},
    "birthday_calendar": {"solar": _("Solar"), "lunar": _("Lunar")},
    "status": {
        "active": _("Active"),
        "cancelled": _("Cancelled"),
        "terminated": _("Terminated"),
        "merged": _("Merged"),
    },
    "kind": {
        "text": _("Text"),
        "number": _("Whole number"),
        "date": _("Date"),
        "choice": _("Choice"),
        "bool": _("Yes / no"),
    },
    "role": {role.value: label for role, label in ROLE_LABELS.items()},
    "second_factor": {"totp": _("Authenticator app"), "backup_code": _("Backup code")},
}

# Snapshot keys whose value is a store's id, shown as the store's name.
STORE_KEYS = frozenset({"home_store_id", "store_id"})


def register_value_labels(key: str, labels: dict[str, str | Promise]) -> None:
    """Let a later app name the values of a snapshot key it records."""
    VALUE_LABELS.setdefault(key, {}).update(labels)


@dataclass(frozen=True)
class DiffRow:
    key: str
    label: str
    before: str
    after: str
    changed: bool


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")


class AuditNames:
    """Names read once per page: stores (given), tiers and custom fields (when needed)."""

    def __init__(self, stores: Mapping[int, str]) -> None:
        self.stores = stores
        self._tiers: dict[str, str] | None = None
        self._custom: dict[str, str] | None = None
        self._choices: dict[str, dict[str, str]] = {}

    @property
    def tiers(self) -> dict[str, str]:
        if self._tiers is None:
            self._tiers = dict(apps.get_model("tiers", "Tier").objects.values_list("code", "name"))
        return self._tiers

    @property
    def custom(self) -> dict[str, str]:
        if self._custom is None:
            model = apps.get_model("members", "CustomField")
            self._custom = dict(model.objects.values_list("key", "label"))
        return self._custom

    def choices(self, path: str) -> dict[str, str]:
        if path not in self._choices:
            self._choices[path] = {k: str(v) for k, v in _choices_at(path)}
        return self._choices[path]


def _choices_at(path: str) -> list[tuple[str, Any]]:
    """The choices of the TextChoices at ``path`` (``module.Model.Status``); none if absent."""
    module, _dot, rest = path.partition(".models.")
    try:
        found: Any = import_string(f"{module}.models.{rest.split('.', 1)[0]}")
        for attr in rest.split(".")[1:]:
            found = getattr(found, attr)
        return list(found.choices)
    except (ImportError, AttributeError):
        return []


def _local_time(text: str) -> str:
    """An ISO timestamp as the store's local time (``2028-11-30 03:36``)."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _points(value: int) -> str:
    return str(pgettext_lazy("audit", "%(n)s points")) % {"n": f"{value:,}"}


# A key that means something else per subject: "subject_type.key" → label.
SUBJECT_FIELD_LABELS: dict[str, str | Promise] = {
    "sale.number": _("Receipt number"),
    "card.number": _("Card number"),
}


# Subjects whose "name" is a person's (姓名); any other subject's name is its title (名称).
PERSON_SUBJECTS = frozenset({"", "member", "staff"})


def _field_label(key: str, subject_type: str = "") -> str:
    if key == "name" and subject_type not in PERSON_SUBJECTS:
        return str(pgettext_lazy("audit", "Name"))
    label = SUBJECT_FIELD_LABELS.get(f"{subject_type}.{key}") or FIELD_LABELS.get(key)
    return str(label) if label is not None else key


def _show(
    key: str, value: Any, names: Mapping[int, str] | AuditNames, subject_type: str = ""
) -> str:
    """One snapshot value as people read it: labels, yuan, points, local time, names."""
    if not isinstance(names, AuditNames):
        names = AuditNames(names)
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    kind = FIELD_KINDS.get(key, "money" if key.endswith("_fen") else "")
    if isinstance(value, str):
        path = SUBJECT_CHOICES.get(f"{subject_type}.{key}") or KEY_CHOICES.get(key)
        if path and value in names.choices(path):
            return names.choices(path)[value]
        if value in VALUE_LABELS.get(key, {}):
            return str(VALUE_LABELS[key][value])
        if key == "source_type" and value in SUBJECT_LABELS:
            return str(SUBJECT_LABELS[value])
        if kind == "tier":
            return names.tiers.get(value, value)
        if _TIMESTAMP.match(value):
            return _local_time(value)
        return value
    if isinstance(value, int) and kind == "money":
        return fen_to_yuan_str(value)
    if isinstance(value, int) and kind == "points":
        return _points(value)
    if isinstance(value, int) and kind == "permille":
        whole, rest = divmod(value, 10)
        return f"{whole}.{rest}%" if rest else f"{whole}%"
    if key in STORE_KEYS and isinstance(value, int) and value in names.stores:
        return names.stores[value]
    if key == "stores" and isinstance(value, list):
        return ", ".join(names.stores.get(v, str(v)) for v in value)
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict) and kind == "amounts":
        return "; ".join(
            f"{_field_label(k)} {_points(v) if k == 'points' else fen_to_yuan_str(v)}"
            for k, v in value.items()
            if isinstance(v, int)
        )
    if isinstance(value, dict) and key == "custom_fields":
        return "; ".join(
            f"{names.custom.get(k, k)}: {_show('', v, names)}" for k, v in value.items()
        )
    if isinstance(value, dict):
        return "; ".join(
            f"{_field_label(k)}: {_show(k, v, names, subject_type)}" for k, v in value.items()
        )
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def audit_diff(
    event: AuditEvent,
    *,
    store_names: Mapping[int, str] | None = None,
    names: AuditNames | None = None,
) -> list[DiffRow]:
    """The before→after snapshot of ``event`` as readable rows, in a stable order.

    A key present only after the change (a creation) is left out when it is empty.
    ``store_names`` turns store ids into names.
    """
    names = names or AuditNames(store_names or {})
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    keys = list(before) + [k for k in after if k not in before]
    rows = []
    for key in keys:
        old = _show(key, before.get(key), names, event.subject_type)
        new = _show(key, after.get(key), names, event.subject_type)
        if key not in before and not new:
            continue
        rows.append(
            DiffRow(
                key=key,
                label=_field_label(key, event.subject_type),
                before=old,
                after=new,
                changed=key in before and before.get(key) != after.get(key),
            )
        )
    return rows
