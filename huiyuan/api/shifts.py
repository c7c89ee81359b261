"""Shift endpoints (交接班): open, close, hand over, the current shift, a day's shifts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictInt

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID, BusinessDate, Id, In, OptionalReason, QueryId
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.core.clock import local_today
from huiyuan.core.errors import NotFound
from huiyuan.shifts import selectors, services
from huiyuan.shifts.models import Shift
from huiyuan.shifts.services import MAX_COUNTED_FEN, MAX_FLOAT_FEN
from huiyuan.shifts.takings import shift_takings

router = Router(tags=["shifts"])

ShiftId = Path(..., ge=1, le=MAX_ID, description="Shift id.")
Fen = Annotated[StrictInt, Field(ge=0, le=MAX_COUNTED_FEN)]


class ShiftOpenIn(In):
    float_fen: Annotated[StrictInt, Field(ge=0, le=MAX_FLOAT_FEN)] = Field(
        ..., description="Cash float (备用金) in the drawer, in fen."
    )
    terminal_id: Id | None = Field(None, description="The terminal (a terminal key's own).")


class CountedIn(In):
    """What was counted at closing, per payment method, in fen; cash is required."""

    cash: Fen
    bank_card: Fen | None = None
    wechat: Fen | None = None
    alipay: Fen | None = None
    terminal: Fen | None = None
    online: Fen | None = None
    enterprise: Fen | None = None

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class ShiftCloseIn(In):
    counted: CountedIn
    note: OptionalReason = ""


class ShiftHandoverIn(ShiftCloseIn):
    next_cashier_id: Id = Field(..., description="The staff member taking over.")


class MethodAmountOut(Schema):
    method: str
    amount_fen: int


class SourceAmountOut(Schema):
    source: str  # float, sales, reversals, returns, recharges, refunds
    method: str
    amount_fen: int


class ShiftOut(Schema):
    id: int
    store_id: int
    terminal_id: int | None
    cashier_id: int
    cashier_name: str
    status: str
    float_fen: int
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    expected: list[MethodAmountOut]
    counted: list[MethodAmountOut]
    cash_difference_fen: int | None = Field(None, description="Counted − expected cash.")
    breakdown: list[SourceAmountOut]
    previous_shift_id: int | None
    note: str


class HandoverOut(Schema):
    closed: ShiftOut
    opened: ShiftOut


def _amounts(values: dict[str, int]) -> list[dict[str, Any]]:
    return [{"method": m, "amount_fen": f} for m, f in sorted(values.items())]


def shift_out(shift: Shift) -> dict[str, Any]:
    if shift.status == Shift.Status.OPEN:
        takings = shift_takings(shift)
        expected, sources = takings.expected, takings.by_source
    else:
        expected, sources = shift.expected, shift.breakdown.get("sources", {})
    return {
        "id": shift.pk,
        "store_id": shift.store_id,
        "terminal_id": shift.terminal_id,
        "cashier_id": shift.cashier_id,
        "cashier_name": str(shift.cashier),
        "status": shift.status,
        "float_fen": shift.float_fen,
        "opened_at": shift.opened_at,
        "closed_at": shift.closed_at,
        "expected": _amounts(expected),
        "counted": _amounts(shift.counted),
        "cash_difference_fen": (
            shift.cash_difference_fen if shift.status == Shift.Status.CLOSED else None
        ),
        "breakdown": [
            {"source": source, "method": m, "amount_fen": f}
            for source, methods in sources.items()
            for m, f in sorted(methods.items())
        ],
        "previous_shift_id": shift.previous_id,
        "note": shift.note,
    }


@router.post("", response={201: ShiftOut, **ERRORS}, summary="Open a shift (开班)")
def shift_open(
    request: HttpRequest, payload: ShiftOpenIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    shift = services.shift_open(
        actor=actor_of(request),
        float_fen=payload.float_fen,
        terminal_id=payload.terminal_id,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, shift_out(shift))


@router.get("/current", response={200: ShiftOut, **ERRORS}, summary="My open shift")
def shift_current(request: HttpRequest) -> dict[str, Any]:
    shift = selectors.shift_current(actor=actor_of(request))
    if shift is None:
        raise NotFound(_("You have no open shift at this store."), code="no_open_shift")
    return shift_out(shift)


class ShiftDayQuery(In):
    date: BusinessDate | None = Field(None, description="Local business date (default today).")
    store_id: QueryId | None = None


@router.get("", response={200: list[ShiftOut], **ERRORS}, summary="A day's shifts (manager)")
def shift_day(request: HttpRequest, filters: Query[ShiftDayQuery]) -> list[dict[str, Any]]:
    shifts = selectors.shifts_of_day(
        actor=actor_of(request), day=filters.date or local_today(), store_id=filters.store_id
    )
    return [shift_out(s) for s in shifts]


@router.get("/{int:shift_id}", response={200: ShiftOut, **ERRORS}, summary="One shift")
def shift_get(request: HttpRequest, shift_id: int = ShiftId) -> dict[str, Any]:
    return shift_out(selectors.shift_get(actor=actor_of(request), shift_id=shift_id))


@router.post(
    "/{int:shift_id}/close", response={200: ShiftOut, **ERRORS}, summary="Close a shift (结班)"
)
def shift_close(
    request: HttpRequest,
    payload: ShiftCloseIn,
    shift_id: int = ShiftId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    shift = services.shift_close(
        actor=actor_of(request),
        shift_id=shift_id,
        counted=payload.counted.as_dict(),
        note=payload.note,
        idempotency_key=require_key(idempotency_key),
    )
    return shift_out(shift)


@router.post(
    "/{int:shift_id}/handover",
    response={200: HandoverOut, **ERRORS},
    summary="Hand over (交接班): close and open the next cashier's shift",
)
def shift_handover(
    request: HttpRequest,
    payload: ShiftHandoverIn,
    shift_id: int = ShiftId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    closed, opened = services.shift_handover(
        actor=actor_of(request),
        shift_id=shift_id,
        counted=payload.counted.as_dict(),
        next_cashier_id=payload.next_cashier_id,
        note=payload.note,
        idempotency_key=require_key(idempotency_key),
    )
    return {"closed": shift_out(closed), "opened": shift_out(opened)}
