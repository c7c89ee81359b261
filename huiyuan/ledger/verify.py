"""Re-derive every cached balance and lot remainder from the entries (``verify-ledger``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum

from huiyuan.ledger.models import Account, Entry, Lot, LotUse, Transfer


@dataclass
class Report:
    accounts_checked: int = 0
    transfers_checked: int = 0
    lots_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_ledger(*, limit: int = 100) -> Report:
    """Check every invariant of the ledger; report at most ``limit`` problems."""
    report = Report()

    def problem(text: str) -> None:
        if len(report.problems) < limit:
            report.problems.append(text)

    total = Entry.objects.aggregate(s=Sum("delta"))["s"] or 0
    if total != 0:
        problem(f"entries sum to {total}, not 0")

    # Every transfer has two legs: -amount on its source and +amount on its target.
    report.transfers_checked = Transfer.objects.count()
    for row in (
        Entry.objects.values("transfer_id")
        .annotate(n=Count("id"), s=Sum("delta"))
        .filter(~Q(n=2) | ~Q(s=0))[:limit]
    ):
        problem(f"transfer {row['transfer_id']}: {row['n']} legs summing to {row['s']}")
    debit_leg = Entry.objects.filter(
        transfer=OuterRef("pk"), account=OuterRef("from_account"), delta=-OuterRef("amount")
    )
    credit_leg = Entry.objects.filter(
        transfer=OuterRef("pk"), account=OuterRef("to_account"), delta=OuterRef("amount")
    )
    for transfer_id in Transfer.objects.filter(
        ~Exists(debit_leg) | ~Exists(credit_leg)
    ).values_list("pk", flat=True)[:limit]:
        problem(f"transfer {transfer_id}: legs do not match its accounts and amount")

    # Member-side balances: cached = sum of entries = last balance_after = sum of lots.
    sums = dict(
        Entry.objects.filter(account__member_side=True)
        .values("account_id")
        .annotate(s=Sum("delta"))
        .values_list("account_id", "s")
    )
    lot_sums = dict(
        Lot.objects.values("account_id").annotate(s=Sum("remaining")).values_list("account_id", "s")
    )
    for account in Account.objects.filter(member_side=True).iterator(chunk_size=2000):
        report.accounts_checked += 1
        derived = sums.get(account.pk, 0)
        if account.balance != derived:
            problem(
                f"account {account.pk} ({account.kind}): cached {account.balance}, entries {derived}"
            )
        if account.balance < 0:
            problem(f"account {account.pk} ({account.kind}) is negative: {account.balance}")
        if account.is_lotted and lot_sums.get(account.pk, 0) != account.balance:
            problem(
                f"account {account.pk} ({account.kind}): lots hold {lot_sums.get(account.pk, 0)}, "
                f"balance {account.balance}"
            )
    last_ids = (
        Entry.objects.filter(account__member_side=True)
        .values("account_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    for entry in Entry.objects.filter(pk__in=list(last_ids)).select_related("account"):
        if entry.balance_after != entry.account.balance:
            problem(
                f"account {entry.account_id}: last entry says {entry.balance_after}, "
                f"cached {entry.account.balance}"
            )

    # Each lot's remainder is its amount less its uses (returns count negative).
    uses = dict(
        LotUse.objects.values("lot_id").annotate(s=Sum("amount")).values_list("lot_id", "s")
    )
    for lot in Lot.objects.iterator(chunk_size=5000):
        report.lots_checked += 1
        if lot.remaining != lot.amount - uses.get(lot.pk, 0):
            problem(
                f"lot {lot.pk}: remaining {lot.remaining}, derived {lot.amount - uses.get(lot.pk, 0)}"
            )
    # Lots never exceed their amount nor go below zero (also a CHECK constraint).
    for lot_id in Lot.objects.filter(Q(remaining__lt=0) | Q(remaining__gt=F("amount"))).values_list(
        "pk", flat=True
    )[:limit]:
        problem(f"lot {lot_id}: remaining out of range")
    return report
