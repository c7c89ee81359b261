"""What a shift should hold: derived from what its cashier recorded during it.

Each source is read from the rows that record it, limited to the shift's store, its cashier
(the sale's or return's operator, the ledger operation's operator for recharges, refunds and
reversals) and its window ``[opened_at, closed_at)`` (an open shift: up to now):

| source | effect, per payment method |
|---|---|
| float (备用金) | + the float, in cash |
| sales (消费) | + each external payment (``Sale.payments``), reversed sales included |
| sale reversals (冲正) | − the reversed sale's external payments, handed back (who reversed: the reversal's audit event) |
| returns (退货) | − each ``refund_payments`` item, handed back |
| recharges (充值) | + the principal paid, by its method |
| refunds (储值退款) | − the principal paid out, by its method |
| benefit upgrades (权益卡升级补差) | + what was left to pay after the credit, by its method |
| benefit refunds (权益卡退款) | − the unused part paid back, by its method |

Benefit cards sold or renewed at the counter are sales (their payments are the sale's).

Stored value, bonus and points are not takings: nothing is counted for them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.benefits.models import BenefitChange
from huiyuan.checkout.models import Sale, SaleReturn
from huiyuan.shifts.models import Shift
from huiyuan.wallet.models import PaymentMethod, Recharge, Refund

CASH = PaymentMethod.CASH.value
SOURCES = (
    "float",
    "sales",
    "reversals",
    "returns",
    "recharges",
    "refunds",
    "benefit_upgrades",
    "benefit_refunds",
)


@dataclass
class Takings:
    """Per source and method (fen, signed: money handed back is negative)."""

    by_source: dict[str, dict[str, int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def expected(self) -> dict[str, int]:
        total: dict[str, int] = defaultdict(int)
        for methods in self.by_source.values():
            for method, fen in methods.items():
                total[method] += fen
        return dict(sorted(total.items()))

    @property
    def expected_cash(self) -> int:
        return self.expected.get(CASH, 0)


def _add(target: dict[str, int], items: Iterable[dict[str, object]], sign: int) -> None:
    for item in items:
        method = str(item.get("method", ""))
        amount = item.get("amount_fen", 0)
        if isinstance(amount, int) and amount:
            target[method] = target.get(method, 0) + sign * amount


def shift_window(shift: Shift, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    end = shift.closed_at or now or timezone.now()
    return shift.opened_at, end


def shift_takings(shift: Shift, *, now: dt.datetime | None = None) -> Takings:
    """The shift's movements by source and payment method (eight queries)."""
    start, end = shift_window(shift, now)
    takings = Takings()
    takings.by_source["float"] = {CASH: shift.float_fen} if shift.float_fen else {}

    sales: dict[str, int] = {}
    sale_rows = Sale.objects.filter(
        store_id=shift.store_id,
        operator_id=shift.cashier_id,
        created_at__gte=start,
        created_at__lt=end,
    ).values_list("payments", flat=True)
    n = 0
    for payments in sale_rows:
        _add(sales, payments or [], +1)
        n += 1
    takings.by_source["sales"], takings.counts["sales"] = sales, n

    reversals: dict[str, int] = {}
    # A walk-in sale has no ledger operation to carry who reversed it: the reversal's
    # audit event (written in the reversal's transaction) names the staff member.
    reversed_ids = AuditEvent.objects.filter(
        action="sale.reversed",
        subject_type="sale",
        actor_id=shift.cashier_id,
        created_at__gte=start,
    ).values_list("subject_id", flat=True)
    reversal_rows = Sale.objects.filter(
        pk__in=[int(pk) for pk in reversed_ids if pk.isdigit()],
        store_id=shift.store_id,
        reversed_at__gte=start,
        reversed_at__lt=end,
    ).values_list("payments", flat=True)
    n = 0
    for payments in reversal_rows:
        _add(reversals, payments or [], -1)
        n += 1
    takings.by_source["reversals"], takings.counts["reversals"] = reversals, n

    returns: dict[str, int] = {}
    return_rows = SaleReturn.objects.filter(
        store_id=shift.store_id,
        operator_id=shift.cashier_id,
        created_at__gte=start,
        created_at__lt=end,
    ).values_list("refund_payments", flat=True)
    n = 0
    for payments in return_rows:
        _add(returns, payments or [], -1)
        n += 1
    takings.by_source["returns"], takings.counts["returns"] = returns, n

    for source, model, amount_field, sign in (
        ("recharges", Recharge, "principal_fen", +1),
        ("refunds", Refund, "principal_fen", -1),
    ):
        rows = (
            model.objects.filter(  # type: ignore[attr-defined]
                store_id=shift.store_id,
                operation__operator_id=shift.cashier_id,
                created_at__gte=start,
                created_at__lt=end,
            )
            .values("method")
            .annotate(total=Sum(amount_field), n=Count("id"))
            .order_by("method")
        )
        per_method: dict[str, int] = {}
        count = 0
        for row in rows:
            if row["total"]:
                per_method[row["method"]] = sign * int(row["total"])
            count += int(row["n"] or 0)
        takings.by_source[source], takings.counts[source] = per_method, count

    for source, kind, amount_field, sign in (
        ("benefit_upgrades", BenefitChange.Kind.UPGRADE, "due_fen", +1),
        ("benefit_refunds", BenefitChange.Kind.REFUND, "amount_fen", -1),
    ):
        changes = (
            BenefitChange.objects.filter(
                kind=kind,
                store_id=shift.store_id,
                operator_id=shift.cashier_id,
                created_at__gte=start,
                created_at__lt=end,
            )
            .values("method")
            .annotate(total=Sum(amount_field), n=Count("id"))
            .order_by("method")
        )
        per_method = {}
        count = 0
        for row in changes:
            if row["total"]:
                per_method[row["method"]] = sign * int(row["total"])
            count += int(row["n"] or 0)
        takings.by_source[source], takings.counts[source] = per_method, count
    return takings
