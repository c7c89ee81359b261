"""The chain settlement report (通存通兑结算): per store, what it owes or is owed for a
period of local dates, derived from the ledger's transfers (``settlement.flows``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huiyuan.core.clock import local_day_start
from huiyuan.core.errors import ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger.models import Account, Transfer
from huiyuan.settlement.flows import BONUS, PRINCIPAL, Flow, Leg, Settlement, StoreFigures, settle
from huiyuan.stores.models import Store
from huiyuan.stores.scope import stores_in_view

MAX_DAYS = 366
CARD_KINDS = (Account.Kind.PRINCIPAL, Account.Kind.BONUS)


@dataclass(frozen=True)
class StoreLine:
    store_id: int
    store_code: str
    store_name: str
    figures: StoreFigures


@dataclass(frozen=True)
class PairLine:
    debtor_id: int
    debtor_name: str
    creditor_id: int
    creditor_name: str
    principal_fen: int
    bonus_fen: int

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.bonus_fen


@dataclass(frozen=True)
class SettlementReport:
    date_from: dt.date
    date_to: dt.date
    lines: list[StoreLine]
    pairs: list[PairLine]
    chain_wide: bool  # the viewer sees the whole chain: the zero-sum check applies
    chain_net_fen: int | None  # the sum of every store's net position (always 0); None if scoped
    unattributed_fen: int


def _flows(end: dt.datetime) -> Iterator[Flow]:
    rows = (
        Transfer.objects.filter(created_at__lt=end)
        .filter(Q(from_account__kind__in=CARD_KINDS) | Q(to_account__kind__in=CARD_KINDS))
        .order_by("id")
        .values_list(
            "id",
            "created_at",
            "amount",
            "from_account_id",
            "from_account__kind",
            "from_account__card_id",
            "from_account__store_id",
            "to_account_id",
            "to_account__kind",
            "to_account__card_id",
            "to_account__store_id",
        )
    )
    for row in rows.iterator(chunk_size=2000):
        yield Flow(
            transfer_id=row[0],
            at=row[1],
            amount=row[2],
            source=Leg(account_id=row[3], kind=row[4], card_id=row[5], store_id=row[6]),
            target=Leg(account_id=row[7], kind=row[8], card_id=row[9], store_id=row[10]),
        )


def clean_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if date_to < date_from:
        raise ValidationFailed(
            _("The end date is before the start date."), code="invalid_period", field="date_to"
        )
    if (date_to - date_from).days >= MAX_DAYS:
        raise ValidationFailed(
            _("Choose a period of at most 366 days."), code="period_too_long", field="date_to"
        )
    return local_day_start(date_from), local_day_start(date_to + dt.timedelta(days=1))


def settlement_compute(*, date_from: dt.date, date_to: dt.date) -> Settlement:
    """The whole chain's settlement for the local dates ``date_from``–``date_to``."""
    start, end = clean_period(date_from, date_to)
    return settle(_flows(end), start=start, end=end)


def settlement_report(
    *, actor: Actor, date_from: dt.date, date_to: dt.date, store_id: int | None = None
) -> SettlementReport:
    """The report as ``actor`` may see it: a store-scoped viewer gets their stores' lines
    and the pairs they are part of; the chain-wide check is for chain-wide roles."""
    require(actor, Perm.REPORT_VIEW)
    in_view = stores_in_view(actor, store_id)
    result = settlement_compute(date_from=date_from, date_to=date_to)
    stores = {s.pk: s for s in Store.objects.all()}

    def visible(pk: int) -> bool:
        return in_view is None or pk in in_view

    ids = sorted((pk for pk in stores if visible(pk)), key=lambda pk: stores[pk].code)
    lines = [
        StoreLine(
            store_id=pk,
            store_code=stores[pk].code,
            store_name=stores[pk].name,
            figures=result.stores.get(pk) or StoreFigures(),
        )
        for pk in ids
    ]
    pairs = [
        PairLine(
            debtor_id=debtor,
            debtor_name=stores[debtor].name if debtor in stores else str(debtor),
            creditor_id=creditor,
            creditor_name=stores[creditor].name if creditor in stores else str(creditor),
            principal_fen=amounts[PRINCIPAL],
            bonus_fen=amounts[BONUS],
        )
        for (debtor, creditor), amounts in sorted(result.pairs.items())
        if visible(debtor) or visible(creditor)
    ]
    chain_wide = actor.store_ids is None and store_id is None
    return SettlementReport(
        date_from=date_from,
        date_to=date_to,
        lines=lines,
        pairs=pairs,
        chain_wide=chain_wide,
        chain_net_fen=sum(f.net_fen for f in result.stores.values()) if chain_wide else None,
        unattributed_fen=result.unattributed_fen if chain_wide else 0,
    )
