"""The sandbox provider's own actions: the payer pays, the notification is delivered.

The delivery runs in the worker (``payments.tasks.sandbox_deliver``, enqueued when the
payment commits) and POSTs the signed notification over HTTP to the notify URL the order
gave, like a real provider; it repeats a few times until acknowledged.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import NotFound
from huiyuan.payments.models import SandboxCharge
from huiyuan.payments.providers.sandbox import notification_build

log = logging.getLogger(__name__)

ATTEMPTS = 3
TIMEOUT_SECONDS = 10


def sandbox_charge_get(order_number: str) -> SandboxCharge:
    charge = SandboxCharge.objects.filter(order_number=order_number).first()
    if charge is None:
        raise NotFound(_("Unknown order."), code="order_not_found")
    return charge


def _enqueue(charge_id: int) -> None:
    from huiyuan.payments.tasks import sandbox_deliver

    sandbox_deliver.enqueue(charge_id)


def sandbox_charge_pay(order_number: str) -> SandboxCharge:
    """The payer pressed 支付: the sandbox takes the money once, then notifies (on commit)."""
    with transaction.atomic():
        charge = SandboxCharge.objects.select_for_update().filter(order_number=order_number).first()
        if charge is None:
            raise NotFound(_("Unknown order."), code="order_not_found")
        if charge.paid_at is None:
            charge.paid_at = timezone.now()
            charge.save(update_fields=["paid_at"])
        transaction.on_commit(lambda: _enqueue(charge.pk), robust=True)
    return charge


def sandbox_notify_again(order_number: str) -> SandboxCharge:
    """Send the notification of a paid charge once more (a provider repeats itself)."""
    charge = sandbox_charge_get(order_number)
    if charge.paid_at is not None:
        transaction.on_commit(lambda: _enqueue(charge.pk), robust=True)
    return charge


def sandbox_deliver_now(charge_id: int) -> bool:
    """POST the signed notification; True once the endpoint acknowledges it."""
    charge = SandboxCharge.objects.filter(pk=charge_id).first()
    if charge is None or charge.paid_at is None:
        return False
    if not charge.notify_url.startswith(("http://", "https://")):
        log.warning("sandbox notify URL is not http(s): %s", charge.notify_url)
        return False
    for attempt in range(ATTEMPTS):
        headers, body = notification_build(charge)
        SandboxCharge.objects.filter(pk=charge.pk).update(deliveries=F("deliveries") + 1)
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
            charge.notify_url, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                ok = 200 <= response.status < 300
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            log.warning("sandbox notification to %s failed: %s", charge.notify_url, exc)
            ok = False
        if ok:
            SandboxCharge.objects.filter(pk=charge.pk).update(acknowledged=True)
            return True
        time.sleep(0.5 * (attempt + 1))
    return False
