"""Recharges earn their operator commission after the recharge commits (``wallet.recharged``)."""

from __future__ import annotations

from huiyuan.commission.services import entry_for_recharge
from huiyuan.events.models import OutboxEvent
from huiyuan.events.registry import subscriber
from huiyuan.wallet.models import Recharge


@subscriber("wallet.recharged", name="commission.credit_recharge")
def credit_recharge(event: OutboxEvent) -> None:
    """Credit the staff member who took the recharge, once per recharge."""
    recharge = (
        Recharge.objects.select_related("operation__operator")
        .filter(pk=event.payload["recharge_id"])
        .first()
    )
    if recharge is None or recharge.operation.operator is None:
        return
    entry_for_recharge(
        recharge_id=recharge.pk,
        staff=recharge.operation.operator,
        store_id=recharge.store_id,
        principal_fen=recharge.principal_fen,
        at=recharge.created_at,
    )
