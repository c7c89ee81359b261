"""Coupons issued on domain events: registration (``member.registered``) and recharge
(``wallet.recharged``, from the template's minimum recharge). Once per event; wanted
only while some active template issues on it (``interest.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from huiyuan.coupons.interest import event_wanted
from huiyuan.coupons.services.issue import coupons_issue_on_event
from huiyuan.coupons.tasks import SYSTEM
from huiyuan.events.registry import subscriber

if TYPE_CHECKING:
    from huiyuan.events.models import OutboxEvent


@subscriber("member.registered", name="coupons.on_registered", wants=event_wanted)
def coupons_on_registered(event: OutboxEvent) -> None:
    if event.member_id is None:
        return
    coupons_issue_on_event(
        actor=SYSTEM,
        event_name="member.registered",
        member_id=event.member_id,
        source=f"event:{event.pk}",
    )


@subscriber("wallet.recharged", name="coupons.on_recharged", wants=event_wanted)
def coupons_on_recharged(event: OutboxEvent) -> None:
    if event.member_id is None:
        return
    coupons_issue_on_event(
        actor=SYSTEM,
        event_name="wallet.recharged",
        member_id=event.member_id,
        source=f"event:{event.pk}",
        amount_fen=int(event.payload.get("principal_fen", 0)),
    )
