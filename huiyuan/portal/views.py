"""The member portal's own pages: home, member card, me."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from huiyuan.console.counter.labels import ACCOUNT_LABELS, OPERATION_LABELS, TRANSFER_LABELS
from huiyuan.ledger.models import Account, Entry
from huiyuan.portal.auth import member_required
from huiyuan.portal.codeimages import code128_inline, qr_inline
from huiyuan.portal.sections import my_sections
from huiyuan.selfservice import selectors
from huiyuan.selfservice.cardcode import card_code_now, seconds_left


@member_required
def home(request: HttpRequest) -> HttpResponse:
    actor = request.member_actor  # type: ignore[attr-defined]
    cards = selectors.my_cards(actor)
    return render(
        request,
        "portal/home.html",
        {
            "member": request.member,  # type: ignore[attr-defined]
            "cards": cards,
            "primary": cards[0] if cards else None,
            "sections": my_sections(request),
        },
    )


@member_required
def card(request: HttpRequest, card_id: int | None = None) -> HttpResponse:
    """The member's card: its rotating code, balances; a chooser when there are several."""
    actor = request.member_actor  # type: ignore[attr-defined]
    cards = selectors.my_cards(actor)
    if card_id is None:
        if not cards:
            return render(request, "portal/card_none.html", {"member": request.member})  # type: ignore[attr-defined]
        return redirect("portal:card_detail", card_id=cards[0].card.pk)
    current = selectors.my_card(actor, card_id)
    return render(
        request,
        "portal/card.html",
        {
            "member": request.member,  # type: ignore[attr-defined]
            "cards": cards,
            "current": current,
            "code": _code_context(current.card.pk),
            "lots": selectors.my_points_lots(actor, card_id)[:5],
            "tier": selectors.my_tier(actor),
            "entries": _history_rows(selectors.my_card_entries(actor, card_id, limit=5)[1]),
        },
    )


def _code_context(card_id: int) -> dict[str, object]:
    code = card_code_now(card_id)
    return {
        "text": code,
        "qr": qr_inline(code),
        "bar": code128_inline(code),
        "seconds": seconds_left(),
    }


@member_required
def card_code(request: HttpRequest, card_id: int) -> HttpResponse:
    """The card's current rotating code (fetched again by portal/card.js before it expires)."""
    selectors.my_card(request.member_actor, card_id)  # type: ignore[attr-defined]
    response = render(
        request, "portal/card_code.html", {"code": _code_context(card_id), "card_id": card_id}
    )
    response["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class HistoryRow:
    when: dt.datetime
    what: str
    account: str
    kind: str
    delta: int
    balance_after: int | None


def _history_rows(entries: list[Entry]) -> list[HistoryRow]:
    rows = []
    for entry in entries:
        operation = entry.transfer.operation
        rows.append(
            HistoryRow(
                when=entry.created_at,
                what=str(
                    OPERATION_LABELS.get(
                        operation.kind, TRANSFER_LABELS.get(entry.transfer.kind, operation.kind)
                    )
                ),
                account=str(ACCOUNT_LABELS.get(entry.account.kind, entry.account.kind)),
                kind=entry.account.kind,
                delta=entry.delta,
                balance_after=entry.balance_after,
            )
        )
    return rows


HISTORY_PAGE = 30


@member_required
def card_history(request: HttpRequest, card_id: int) -> HttpResponse:
    """Every movement of the card's balance, bonus and points, with the balance after."""
    actor = request.member_actor  # type: ignore[attr-defined]
    current = selectors.my_card(actor, card_id)
    kind = request.GET.get("kind", "")
    if kind not in Account.MEMBER_KINDS:
        kind = ""
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    count, entries = selectors.my_card_entries(
        actor, card_id, kind=kind, limit=HISTORY_PAGE, offset=(page - 1) * HISTORY_PAGE
    )
    return render(
        request,
        "portal/card_history.html",
        {
            "current": current,
            "rows": _history_rows(entries),
            "kind": kind,
            "page": page,
            "has_next": page * HISTORY_PAGE < count,
            "kinds": [(k, ACCOUNT_LABELS[k]) for k in Account.MEMBER_KINDS],
        },
    )


@member_required
def me(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/me.html",
        {"member": request.member, "sections": my_sections(request)},  # type: ignore[attr-defined]
    )
