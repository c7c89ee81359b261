"""Offline POS batches (O4): sales, recharges and count-card uses recorded while a terminal was offline,
sent in one request with their original idempotency keys and moments, applied one by one
and reported one by one (``huiyuan/ledger/offline.py``). Sending a batch again has one
effect: every item comes back ``duplicate`` with its first result."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from huiyuan.api.auth import actor_of
from huiyuan.api.sales import _basket
from huiyuan.api.schemas.common import ERRORS, BusinessDateTime, ErrorBody, Id, In
from huiyuan.api.schemas.money import MAX_KEY_LENGTH
from huiyuan.api.schemas.packages import UseIn
from huiyuan.api.schemas.sales import BasketSaleIn
from huiyuan.api.schemas.wallet import RechargeIn
from huiyuan.checkout import services as checkout
from huiyuan.core.bounds import NON_BLANK_PATTERN
from huiyuan.core.errors import ValidationFailed
from huiyuan.ledger.offline import MAX_ITEMS, OfflineItem, offline_batch_apply
from huiyuan.packages import services as packages
from huiyuan.wallet import services as wallet

router = Router(tags=["offline"])


class OfflineRechargeIn(RechargeIn):
    card_id: Id


class OfflinePackageUseIn(UseIn):
    package_id: Id


class OfflineItemIn(In):
    kind: Literal["sale", "recharge", "package_use"]
    idempotency_key: Annotated[
        str, Field(min_length=1, max_length=MAX_KEY_LENGTH, pattern=NON_BLANK_PATTERN)
    ] = Field(..., description="The key the terminal gave the item when it was made.")
    occurred_at: BusinessDateTime = Field(..., description="When it was made, on the terminal.")
    sale: BasketSaleIn | None = Field(None, description="With kind `sale`: the basket sale.")
    recharge: OfflineRechargeIn | None = Field(None, description="With kind `recharge`.")
    package_use: OfflinePackageUseIn | None = Field(
        None, description="With kind `package_use`: one visit of a count, period or course card."
    )


class OfflineBatchIn(In):
    items: list[OfflineItemIn] = Field(..., min_length=1, max_length=MAX_ITEMS)


class OfflineOutcomeOut(Schema):
    index: int
    kind: str
    idempotency_key: str
    status: Literal["accepted", "duplicate", "refused"]
    result_id: int | None = Field(None, description="The sale or recharge id.")
    error: ErrorBody | None = None


class OfflineBatchOut(Schema):
    accepted: int
    duplicate: int
    refused: int
    items: list[OfflineOutcomeOut]


def _offline_note(note: str, at: dt.datetime) -> str:
    moment = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
    return f"{note} (offline {moment})".strip()


def _item(request: HttpRequest, item: OfflineItemIn) -> OfflineItem:
    actor = actor_of(request)
    if item.sale is not None:
        data = _basket(item.sale)
        return OfflineItem(
            item.kind,
            item.idempotency_key,
            item.occurred_at,
            lambda at: checkout.sale_complete(
                actor=actor,
                data=dataclasses.replace(data, offline_at=at),
                idempotency_key=item.idempotency_key,
            ),
        )
    if item.package_use is not None:
        use = item.package_use
        return OfflineItem(
            item.kind,
            item.idempotency_key,
            item.occurred_at,
            lambda at: packages.package_use(
                actor=actor,
                package_id=use.package_id,
                item_id=use.item_id,
                note=_offline_note(use.note, at),
                idempotency_key=item.idempotency_key,
            ),
        )
    recharge = item.recharge
    assert recharge is not None
    return OfflineItem(
        item.kind,
        item.idempotency_key,
        item.occurred_at,
        lambda _at: wallet.wallet_recharge(
            actor=actor,
            card_id=recharge.card_id,
            amount_fen=recharge.amount_fen,
            method=recharge.method,
            package_id=recharge.package_id,
            idempotency_key=item.idempotency_key,
        ),
    )


@router.post(
    "/offline/batches",
    response={200: OfflineBatchOut, **ERRORS},
    summary="Send what a terminal recorded offline (sales, recharges, count-card uses)",
)
def offline_batch(request: HttpRequest, payload: OfflineBatchIn) -> dict[str, Any]:
    items = []
    for index, item in enumerate(payload.items):
        bodies = {"sale": item.sale, "recharge": item.recharge, "package_use": item.package_use}
        given = [kind for kind, body in bodies.items() if body is not None]
        if given != [item.kind]:
            raise ValidationFailed(
                _("Item %(i)s: give the body that matches its kind.") % {"i": index},
                code="invalid_item",
                field="items",
                details={"index": index},
            )
        items.append(_item(request, item))
    outcomes = offline_batch_apply(actor=actor_of(request), items=items)
    return {
        "accepted": sum(1 for o in outcomes if o.status == "accepted"),
        "duplicate": sum(1 for o in outcomes if o.status == "duplicate"),
        "refused": sum(1 for o in outcomes if o.status == "refused"),
        "items": [
            {
                "index": o.index,
                "kind": o.kind,
                "idempotency_key": o.key,
                "status": o.status,
                "result_id": o.result_id,
                "error": o.error,
            }
            for o in outcomes
        ],
    }
