"""The ledger and lots of a member's cards, as rows to show, and the full ledger page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET

from huiyuan.cards import selectors as card_selectors
from huiyuan.cards.selectors import CardBalances
from huiyuan.console.context import request_actor
from huiyuan.console.counter.labels import ACCOUNT_LABELS, OPERATION_LABELS, transfer_label
from huiyuan.console.counter.pages import render_page
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.views import staff_view
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.ledger.models import Account, Entry, Lot
from huiyuan.members import selectors as member_selectors
from huiyuan.stores.selectors import store_names


@dataclass(frozen=True)
class LedgerRow:
    entry: Entry
    card_number: str
    account: str
    is_points: bool
    operation: str
    movement: str
    operator: str
    store: str
    memo: str


def ledger_rows(
    entries: list[Entry], numbers: dict[int, str], stores: dict[int, str]
) -> list[LedgerRow]:
    rows = []
    for entry in entries:
        operation = entry.transfer.operation
        operator = operation.operator
        rows.append(
            LedgerRow(
                entry=entry,
                card_number=numbers.get(entry.account.card_id or 0, ""),
                account=str(ACCOUNT_LABELS.get(entry.account.kind, entry.account.kind)),
                is_points=entry.account.kind == Account.Kind.POINTS,
                operation=str(OPERATION_LABELS.get(operation.kind, operation.kind)),
                movement=transfer_label(entry.transfer.kind),
                operator=getattr(operator, "display_name", "") or str(operator or ""),
                store=stores.get(operation.store_id or 0, ""),
                memo=operation.memo,
            )
        )
    return rows


def _money(row: LedgerRow, fen: int | None) -> int | None:
    return None if row.is_points else fen


def _points(row: LedgerRow, points: int | None) -> int | None:
    return points if row.is_points else None


# Money (in yuan) and points in columns of their own, so each column adds up.
EXPORT_COLUMNS: tuple[Column[LedgerRow], ...] = (
    Column(_l("Time"), lambda r: r.entry.created_at, "moment", 18),
    Column(_l("Operation"), lambda r: r.operation, width=14),
    Column(_l("Movement"), lambda r: r.movement, width=14),
    Column(_l("Card number"), lambda r: r.card_number, width=20),
    Column(_l("Account"), lambda r: r.account, width=10),
    Column(_l("Amount"), lambda r: _money(r, r.entry.delta), "money", 12),
    Column(_l("Balance after"), lambda r: _money(r, r.entry.balance_after), "money", 12),
    Column(_l("Points"), lambda r: _points(r, r.entry.delta), "number", 10),
    Column(_l("Points after"), lambda r: _points(r, r.entry.balance_after), "number", 10),
    Column(_l("Operator"), lambda r: r.operator, width=12),
    Column(_l("Store"), lambda r: r.store, width=12),
    Column(_l("Note"), lambda r: r.memo, width=24),
)


def _ledger_export_rows(
    entries: QuerySet[Entry], numbers: dict[int, str], stores: dict[int, str]
) -> Iterator[LedgerRow]:
    """The rows a thousand entries at a time (one query per chunk, whatever the count)."""
    chunk: list[Entry] = []
    for entry in entries.iterator(chunk_size=1000):
        chunk.append(entry)
        if len(chunk) == 1000:
            yield from ledger_rows(chunk, numbers, stores)
            chunk = []
    yield from ledger_rows(chunk, numbers, stores)


@dataclass(frozen=True)
class LotRow:
    lot: Lot
    card_number: str
    account: str
    is_points: bool
    source: str
    store: str
    expired: bool


def lot_rows(actor: Actor, cards: list[CardBalances], stores: dict[int, str]) -> list[LotRow]:
    now = timezone.now()
    rows = []
    for balances in cards:
        for lot in card_selectors.card_lots(actor=actor, card=balances.card):
            rows.append(
                LotRow(
                    lot=lot,
                    card_number=balances.card.number,
                    account=str(ACCOUNT_LABELS.get(lot.account.kind, lot.account.kind)),
                    is_points=lot.account.kind == Account.Kind.POINTS,
                    source=transfer_label(lot.source_kind),
                    store=stores.get(lot.store_id or 0, ""),
                    expired=lot.expires_at is not None and lot.expires_at <= now,
                )
            )
    return rows


@staff_view
@require_GET
def member_ledger(request: HttpRequest, member_id: int) -> HttpResponseBase:
    """Every ledger entry of the member's cards, newest first, a page at a time (all of
    them in one workbook with ``?export=xlsx``)."""
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    member = member_selectors.member_get(actor=actor, member_id=member_id)
    if member is None:
        raise Http404(_("Member not found."))
    cards = card_selectors.member_cards(actor=actor, member=member)
    numbers = {c.card.pk: c.card.number for c in cards}
    entries = card_selectors.member_entries(actor=actor, member=member)
    if wants_xlsx(request):
        return xlsx_download(
            name=f"ledger-{member.code}",
            title=_("Ledger history"),
            columns=EXPORT_COLUMNS,
            rows=_ledger_export_rows(entries, numbers, store_names()),
        )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    rows = ledger_rows(list(page.object_list), numbers, store_names())
    return render_page(request, "ledger.html", {"member": member, "page": page, "rows": rows})
