"""Card endpoints: issue, look up with balances, lots and entries, QR/barcode, lifecycle.

Reads need ``member.view`` and work across stores (通存通兑); writes check their own
permission in the service. A reissue (which moves money) requires an Idempotency-Key; a card
issue accepts one so that a retried issue returns the same card.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_keyed
from huiyuan.api.schemas.cards import (
    CardIssueIn,
    CardOut,
    CardReasonIn,
    CardTypeOut,
    EntryPageOut,
    EntryPageQuery,
    HolderIn,
    HolderOut,
    LotOut,
    ReissueIn,
    RenewIn,
)
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, OptionalIdempotencyKey, require_key
from huiyuan.cards import images, selectors, services
from huiyuan.cards.models import Card, CardHolder, CardType
from huiyuan.cards.selectors import CardBalances
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor
from huiyuan.ledger.models import Lot
from huiyuan.members import selectors as member_selectors

router = Router(tags=["cards"])

CardId = Path(..., ge=1, le=MAX_ID, description="Card id.")
MemberId = Path(..., ge=1, le=MAX_ID, description="Member id.")
CardNumberPath = Path(..., pattern=r"^[0-9A-Za-z]{1,32}$", description="Card number.")
SVG = {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}


def _card(actor: Actor, card_id: int | None = None, number: str = "") -> CardBalances:
    found = selectors.card_get(actor=actor, card_id=card_id, number=number)
    if found is None:
        raise NotFound(_("Card not found."), code="card_not_found")
    return found


@router.post("/cards", response={201: CardOut, **ERRORS}, summary="Issue a card")
def card_issue(
    request: HttpRequest,
    payload: CardIssueIn,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[CardBalances]:
    card = services.card_issue(
        actor=actor_of(request),
        card_type_id=payload.card_type_id,
        member_id=payload.member_id,
        number=payload.number or "",
        store_id=payload.store_id,
        idempotency_key=(idempotency_key or "").strip()[:100],
    )
    return Status(201, selectors.card_balances(card))


@router.get("/card-types", response={200: list[CardTypeOut], **ERRORS}, summary="Card types")
def card_type_list(request: HttpRequest) -> list[CardType]:
    return list(selectors.card_types())


@router.get(
    "/cards/by-number/{number}",
    response={200: CardOut, **ERRORS},
    summary="Find a card by number, with balances",
)
def card_by_number(request: HttpRequest, number: str = CardNumberPath) -> CardBalances:
    return _card(actor_of(request), number=number)


@router.get(
    "/cards/{int:card_id}", response={200: CardOut, **ERRORS}, summary="A card and balances"
)
def card_detail(request: HttpRequest, card_id: int = CardId) -> CardBalances:
    return _card(actor_of(request), card_id=card_id)


@router.get(
    "/members/{int:member_id}/cards",
    response={200: list[CardOut], **ERRORS},
    summary="A member's cards, held or shared",
)
def member_card_list(request: HttpRequest, member_id: int = MemberId) -> list[CardBalances]:
    actor = actor_of(request)
    member = member_selectors.member_get(actor=actor, member_id=member_id)
    if member is None:
        raise NotFound(_("Member not found."), code="member_not_found")
    return selectors.member_cards(actor=actor, member=member)


@router.get(
    "/cards/{int:card_id}/lots",
    response={200: list[LotOut], **ERRORS},
    summary="The card's bonus and points lots",
)
def card_lot_list(request: HttpRequest, card_id: int = CardId) -> list[Lot]:
    actor = actor_of(request)
    return selectors.card_lots(actor=actor, card=_card(actor, card_id=card_id).card)


@router.get(
    "/cards/{int:card_id}/entries",
    response={200: EntryPageOut, **ERRORS},
    summary="The card's ledger entries, newest first",
)
def card_entry_list(
    request: HttpRequest, page: Query[EntryPageQuery], card_id: int = CardId
) -> dict[str, object]:
    actor = actor_of(request)
    count, items = selectors.card_entries_page(
        actor=actor, card=_card(actor, card_id=card_id).card, limit=page.limit, offset=page.offset
    )
    return {"count": count, "limit": page.limit, "offset": page.offset, "items": items}


@router.get(
    "/cards/{int:card_id}/qr.svg",
    response={**ERRORS},
    openapi_extra={"responses": {"200": {"description": "A QR code of the number.", **SVG}}},
    summary="The card number as a QR code (SVG)",
)
def card_qr(request: HttpRequest, card_id: int = CardId) -> HttpResponse:
    number = _card(actor_of(request), card_id=card_id).card.number
    return HttpResponse(images.qr_svg(number), content_type="image/svg+xml")


@router.get(
    "/cards/{int:card_id}/barcode.svg",
    response={**ERRORS},
    openapi_extra={"responses": {"200": {"description": "A Code 128 barcode.", **SVG}}},
    summary="The card number as a barcode (SVG)",
)
def card_barcode(request: HttpRequest, card_id: int = CardId) -> HttpResponse:
    number = _card(actor_of(request), card_id=card_id).card.number
    return HttpResponse(images.barcode_svg(number), content_type="image/svg+xml")


@router.post(
    "/cards/{int:card_id}/holders",
    response={201: HolderOut, **ERRORS},
    summary="Add a holder sharing the card's wallet",
)
def card_holder_add(
    request: HttpRequest,
    payload: HolderIn,
    card_id: int = CardId,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[CardHolder]:
    holder = run_keyed(
        request,
        idempotency_key,
        "card.holder_add",
        {"card_id": card_id, **payload.dict()},
        lambda: services.card_add_holder(
            actor=actor_of(request), card_id=card_id, member_id=payload.member_id
        ),
        lambda pk: CardHolder.objects.get(pk=pk),
    )
    return Status(201, holder)


@router.post(
    "/cards/{int:card_id}/report-lost",
    response={200: CardOut, **ERRORS},
    summary="Report lost (挂失)",
)
def card_report_lost(
    request: HttpRequest, payload: CardReasonIn, card_id: int = CardId
) -> CardBalances:
    card = services.card_report_lost(
        actor=actor_of(request), card_id=card_id, reason=payload.reason
    )
    return selectors.card_balances(card)


@router.post(
    "/cards/{int:card_id}/found", response={200: CardOut, **ERRORS}, summary="A lost card was found"
)
def card_found(request: HttpRequest, payload: CardReasonIn, card_id: int = CardId) -> CardBalances:
    card = services.card_unreport_lost(
        actor=actor_of(request), card_id=card_id, reason=payload.reason
    )
    return selectors.card_balances(card)


@router.post(
    "/cards/{int:card_id}/reissue",
    response={201: CardOut, **ERRORS},
    summary="Reissue (补卡): move everything to a new card",
)
def card_reissue(
    request: HttpRequest,
    payload: ReissueIn,
    card_id: int = CardId,
    idempotency_key: str = IdempotencyKey,
) -> Status[CardBalances]:
    card = services.card_reissue(
        actor=actor_of(request),
        card_id=card_id,
        idempotency_key=require_key(idempotency_key),
        number=payload.number or "",
        reason=payload.reason,
    )
    return Status(201, selectors.card_balances(card))


@router.post(
    "/cards/{int:card_id}/renew",
    response={200: CardOut, **ERRORS},
    summary="Renew a card",
    description="Each call extends the card by `months`: send an `Idempotency-Key` (optional "
    "here, kept so for existing callers) so that a retry answers the first result instead of "
    "extending twice.",
)
def card_renew(
    request: HttpRequest,
    payload: RenewIn,
    card_id: int = CardId,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> CardBalances:
    card = run_keyed(
        request,
        idempotency_key,
        "card.renew",
        {"card_id": card_id, **payload.dict()},
        lambda: services.card_renew(
            actor=actor_of(request), card_id=card_id, months=payload.months
        ),
        lambda pk: Card.objects.get(pk=pk),
    )
    return selectors.card_balances(card)


@router.post(
    "/cards/{int:card_id}/cancel", response={200: CardOut, **ERRORS}, summary="Cancel a card"
)
def card_cancel(request: HttpRequest, payload: CardReasonIn, card_id: int = CardId) -> CardBalances:
    card = services.card_cancel(actor=actor_of(request), card_id=card_id, reason=payload.reason)
    return selectors.card_balances(card)
