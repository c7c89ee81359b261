"""How the counter names ledger operations, transfers, accounts, tier changes and
card holdings, in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from huiyuan.cards.models import Card, CardType
from huiyuan.ledger.models import Account

OPERATION_LABELS: dict[str, Any] = {
    "recharge": pgettext_lazy("ledger", "Recharge"),
    "refund": pgettext_lazy("ledger", "Refund"),
    "sale": pgettext_lazy("ledger", "Consumption"),
    "sale_reversal": pgettext_lazy("ledger", "Consumption reversed"),
    "card_reissue": pgettext_lazy("ledger", "Card reissued"),
    "points_adjust": pgettext_lazy("ledger", "Points adjusted"),
    "points_supplement": pgettext_lazy("ledger", "Supplementary points"),
    "points_expire": pgettext_lazy("ledger", "Points expired"),
    "bonus_expire": pgettext_lazy("ledger", "Bonus expired"),
}
TRANSFER_LABELS: dict[str, Any] = {
    "recharge": pgettext_lazy("ledger", "Recharge"),
    "recharge_bonus": pgettext_lazy("ledger", "Recharge bonus"),
    "spend": pgettext_lazy("ledger", "Paid from principal"),
    "spend_bonus": pgettext_lazy("ledger", "Paid from bonus"),
    "redeem": pgettext_lazy("ledger", "Points offset"),
    "earn": pgettext_lazy("ledger", "Points earned"),
    "reissue": pgettext_lazy("ledger", "Moved by reissue"),
    "points_adjust": pgettext_lazy("ledger", "Adjusted by hand"),
    "expire": pgettext_lazy("ledger", "Expired"),
    "refund": pgettext_lazy("ledger", "Refund"),
    "bonus_clawback": pgettext_lazy("ledger", "Bonus taken back"),
}
ACCOUNT_LABELS: dict[str, Any] = {
    Account.Kind.PRINCIPAL: pgettext_lazy("ledger", "Principal"),
    Account.Kind.BONUS: pgettext_lazy("ledger", "Bonus"),
    Account.Kind.POINTS: pgettext_lazy("ledger", "Points"),
}
TIER_CHANGE_LABELS: dict[str, Any] = {
    "upgrade": pgettext_lazy("tier", "Upgrade"),
    "downgrade": pgettext_lazy("tier", "Downgrade"),
    "manual": pgettext_lazy("tier", "Manual move"),
    "initial": pgettext_lazy("tier", "Initial tier"),
}
HOLDING_LABELS: dict[str, Any] = {
    CardType.Holding.PERSONAL: pgettext_lazy("holding", "Personal card"),
    CardType.Holding.LINKED: pgettext_lazy("holding", "Linked card"),
    CardType.Holding.GROUP: pgettext_lazy("holding", "Group card"),
    CardType.Holding.FAMILY: pgettext_lazy("holding", "Family card"),
}
CARD_STATUS_COLORS = {
    Card.Status.ACTIVE: "green",
    Card.Status.LOST: "red",
    Card.Status.VOID: "secondary",
    Card.Status.CANCELLED: "secondary",
}


def transfer_label(kind: str) -> str:
    if kind.startswith("reverse_"):
        base = TRANSFER_LABELS.get(kind.removeprefix("reverse_"), kind)
        return _("Reversal: %(what)s") % {"what": base}
    return str(TRANSFER_LABELS.get(kind, kind))
