"""Background work of payments: the sandbox provider's notification delivery."""

from __future__ import annotations

from django_tasks import task

from huiyuan.payments.services.sandbox import sandbox_deliver_now


@task()
def sandbox_deliver(charge_id: int) -> bool:
    """POST the sandbox's signed notification of a paid charge to its notify URL."""
    return sandbox_deliver_now(charge_id)
