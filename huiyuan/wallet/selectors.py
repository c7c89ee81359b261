"""Stored-value reports: outstanding balance (预收款) per store and per quarter.

Every figure is limited to the viewer's stores (``stores_in_view``): a store manager sees
its stores, head office the chain or one store it picks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Sum
from django.utils import timezone

from huiyuan.cards.models import Card
from huiyuan.core.clock import local_day_start
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.replica import on_replica
from huiyuan.ledger.models import Account, Entry
from huiyuan.stores.models import Store
from huiyuan.stores.scope import stores_in_view
from huiyuan.wallet.models import Recharge, RechargePackage


@dataclass(frozen=True)
class StoreOutstanding:
    store: Store
    recharged: int  # principal received at this store
    spent_here: int  # principal and bonus paid from balance at this store
    refunded: int
    bonus_granted: int

    @property
    def net(self) -> int:
        """Money this store holds for members less what it has delivered (for settlement)."""
        return self.recharged - self.refunded - self.spent_here


def _flows(
    until: dt.datetime | None, store_ids: frozenset[int] | None
) -> dict[tuple[int, str], int]:
    entries = Entry.objects.filter(account__card_id__isnull=True, account__store_id__isnull=False)
    if store_ids is not None:
        entries = entries.filter(account__store_id__in=store_ids)
    if until is not None:
        entries = entries.filter(created_at__lt=until)
    rows = entries.values("account__store_id", "account__kind").annotate(s=Sum("delta"))
    return {(r["account__store_id"], r["account__kind"]): r["s"] or 0 for r in rows}


@on_replica
def outstanding_by_store(
    *, actor: Actor, until: dt.datetime | None = None, store_id: int | None = None
) -> list[StoreOutstanding]:
    """Per store in view: recharged, spent there, refunded there, and the inter-store net."""
    require(actor, Perm.REPORT_VIEW)
    store_ids = stores_in_view(actor, store_id)
    flows = _flows(until, store_ids)
    stores = Store.objects.order_by("code")
    if store_ids is not None:
        stores = stores.filter(pk__in=store_ids)
    return [
        StoreOutstanding(
            store=s,
            recharged=-flows.get((s.pk, Account.Kind.STORE_FUNDING), 0),
            spent_here=flows.get((s.pk, Account.Kind.STORE_SALES), 0),
            refunded=flows.get((s.pk, Account.Kind.STORE_REFUNDS), 0),
            bonus_granted=-flows.get((s.pk, Account.Kind.STORE_BONUS), 0),
        )
        for s in stores
    ]


@on_replica
def outstanding_total(*, actor: Actor, store_id: int | None = None) -> dict[str, int]:
    """Stored value held for members right now (the prepaid liability) on the cards of the
    stores in view: a card counts at its home store, where it was issued."""
    require(actor, Perm.REPORT_VIEW)
    store_ids = stores_in_view(actor, store_id)
    accounts = Account.objects.filter(
        member_side=True, kind__in=[Account.Kind.PRINCIPAL, Account.Kind.BONUS]
    )
    if store_ids is not None:
        accounts = accounts.filter(
            card_id__in=Card.objects.filter(store_id__in=store_ids).values("pk")
        )
    sums = dict(accounts.values("kind").annotate(s=Sum("balance")).values_list("kind", "s"))
    return {
        "principal": sums.get(Account.Kind.PRINCIPAL) or 0,
        "bonus": sums.get(Account.Kind.BONUS) or 0,
    }


def quarter_ends(year: int) -> list[dt.datetime]:
    """The end of each quarter of ``year``: the local midnight that starts the next one."""
    firsts = [(year, 4), (year, 7), (year, 10), (year + 1, 1)]
    return [local_day_start(dt.date(y, m, 1)) for y, m in firsts]


@on_replica
def outstanding_by_quarter(
    *, actor: Actor, year: int, store_id: int | None = None
) -> list[tuple[str, list[StoreOutstanding]]]:
    """The per-store report as it stood at the end of each quarter of ``year``."""
    return [
        (f"{year}Q{i}", outstanding_by_store(actor=actor, until=end, store_id=store_id))
        for i, end in enumerate(quarter_ends(year), start=1)
        if end <= timezone.now() + dt.timedelta(days=92)
    ]


def recharge_packages(*, active_only: bool = True) -> list[RechargePackage]:
    qs = RechargePackage.objects.all()
    return list(qs.filter(is_active=True) if active_only else qs)


def recharge_package_get(*, package_id: int) -> RechargePackage | None:
    return RechargePackage.objects.filter(pk=package_id).first()


def recharge_for_slip(*, actor: Actor, recharge_id: int) -> Recharge | None:
    """A recharge with what its slip prints (None: unknown, or another store's recharge of a
    member outside the actor's stores)."""
    require(actor, Perm.MEMBER_VIEW)
    recharge = (
        Recharge.objects.select_related(
            "card", "card__member", "store", "package", "operation", "operation__operator"
        )
        .filter(pk=recharge_id)
        .first()
    )
    if recharge is None:
        return None
    if not (actor.covers_store(recharge.store_id) or actor.covers_store(recharge.card.store_id)):
        return None
    return recharge
