"""Sending webhooks: from the outbox to the receivers, in the worker, after the commit.

1. **Fan out** (``fan_out``, an outbox subscriber): for a committed event, one delivery row
   per active subscription that lists its name, in the outbox delivery's transaction (so
   it happens once: the rows are unique per subscription and event). No HTTP here.
2. **Send** (``deliveries_send``, the ``send_webhooks`` task, enqueued after that commit
   and swept by the scheduler): claim due deliveries for a lease (``SKIP LOCKED``), then
   for each, *outside any transaction*, sign and POST the body, and record the attempt in a
   short transaction that locks the delivery (then its subscription) and checks that
   nobody recorded this attempt first.
3. **Retry** a failure (no answer, or a status other than 2xx) after
   ``retry_delay(attempts)``: 30 s doubled at each attempt, ±10 % jitter, capped at six
   hours, up to ``WEBHOOK_MAX_ATTEMPTS`` attempts; then the delivery is failed (it can be
   replayed by hand).
4. **Disable** a subscription after ``WEBHOOK_DISABLE_AFTER`` failed attempts in a row
   (any success resets the count): audited as ``webhook.disabled`` by the system, shown
   as a notice in the console. Its waiting deliveries fail when they come due.

A receiver can see a delivery twice (the worker died between the answer and the record):
it deduplicates by ``X-Huiyuan-Delivery``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from huiyuan.core.permissions import Actor, Role
from huiyuan.core.pii import decrypt
from huiyuan.events.models import OutboxEvent
from huiyuan.webhooks import conf, signing, transport
from huiyuan.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from huiyuan.webhooks.targets import target_parse

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 6 * 3600
JITTER = 0.1  # ±10 %
LEASE = dt.timedelta(minutes=5)
BATCH = 50
USER_AGENT = "huiyuan-webhooks/1"
# The worker acts as the system when it disables a failing subscription.
SYSTEM = Actor(role=Role.OWNER)


@dataclass
class SendReport:
    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def retry_delay(attempts: int, *, rand: Callable[[], float] = random.random) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 30 s × 2^(attempts−1),
    times a jitter factor in [0.9, 1.1) (``rand()`` in [0, 1)), capped at six hours."""
    base = RETRY_BASE_SECONDS * 2 ** (attempts - 1)
    jittered = base * (1 - JITTER + 2 * JITTER * rand())
    return dt.timedelta(seconds=min(RETRY_CAP_SECONDS, round(jittered)))


def event_body(event: OutboxEvent) -> str:
    """The JSON a receiver gets: the event as the feed shows it (``GET /api/v1/events``)."""
    return json.dumps(
        {
            "id": event.pk,
            "name": event.name,
            "occurred_at": event.occurred_at.isoformat(),
            "member_id": event.member_id,
            "store_id": event.store_id,
            "payload": event.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


# ------------------------------------------------------------------------------ fan out


def fan_out(event: OutboxEvent) -> int:
    """One delivery per active subscription listening to ``event.name`` (once: a re-run
    finds the rows there). Returns how many were made."""
    subs = [
        s
        for s in WebhookSubscription.objects.filter(is_active=True).only("pk", "event_names")
        if event.name in (s.event_names or [])
    ]
    if not subs:
        return 0
    body = event_body(event)
    now = timezone.now()
    made = 0
    for sub in subs:
        try:
            with transaction.atomic():
                WebhookDelivery.objects.create(
                    subscription=sub,
                    event_id=event.pk,
                    event_name=event.name,
                    body=body,
                    next_attempt_at=now,
                )
            made += 1
        except IntegrityError:  # already fanned out for this subscription
            continue
    if made:
        send_after_commit()
    return made


def _enqueue_send() -> None:
    from huiyuan.webhooks.tasks import send_webhooks

    send_webhooks.enqueue()


def send_after_commit() -> None:
    """Enqueue the sender when the current transaction commits (once per transaction)."""
    connection = transaction.get_connection()
    if any(func is _enqueue_send for _ids, func, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue_send, robust=True)


def _enqueue_retry(at: dt.datetime) -> None:
    """Ask a worker to come back at ``at`` (when the backend can defer; the scheduler's
    sweep catches it otherwise)."""
    from django_tasks import default_task_backend

    from huiyuan.webhooks.tasks import send_webhooks

    if default_task_backend.supports_defer:
        send_webhooks.using(run_after=at).enqueue()


# --------------------------------------------------------------------------------- send


def _claim(now: dt.datetime, limit: int) -> list[int]:
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now + LEASE)
    return ids


def _fail_disabled(delivery_id: int) -> None:
    with transaction.atomic():
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=WebhookDelivery.Status.PENDING
        ).update(
            status=WebhookDelivery.Status.FAILED,
            next_attempt_at=None,
            last_error="subscription disabled",
        )


def _headers(delivery: WebhookDelivery, secret: str, attempt: int, body: bytes) -> dict[str, str]:
    timestamp = int(timezone.now().timestamp())
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        signing.EVENT_HEADER: delivery.event_name,
        signing.DELIVERY_HEADER: str(delivery.uid),
        signing.ATTEMPT_HEADER: str(attempt),
        signing.SIGNATURE_HEADER: signing.signature_header(secret, timestamp, body),
    }


def _send_one(
    delivery_id: int, now: dt.datetime, report: SendReport, rand: Callable[[], float]
) -> None:
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .first()
    )
    if delivery is None:
        report.skipped += 1
        return
    sub = delivery.subscription
    if not sub.is_active:
        _fail_disabled(delivery_id)
        report.skipped += 1
        return
    attempt = delivery.attempts + 1
    body = delivery.body.encode()
    started = timezone.now()
    try:
        target = target_parse(sub.url)
    except Exception as exc:  # noqa: BLE001 - the guard refused a URL saved earlier
        outcome = transport.Outcome(None, "", f"refused: {exc}", 0)
    else:
        headers = _headers(delivery, decrypt(sub.secret_encrypted), attempt, body)
        outcome = transport.post(target, body, headers, timeout=conf.timeout_seconds())
    report.sent += 1
    _record(delivery_id, attempt, started, outcome, now, report, rand)


def _record(
    delivery_id: int,
    attempt: int,
    started: dt.datetime,
    outcome: transport.Outcome,
    now: dt.datetime,
    report: SendReport,
    rand: Callable[[], float],
) -> None:
    """Write the attempt and decide what follows, under the delivery's lock (then the
    subscription's), unless another worker recorded this attempt already. The next try is
    due ``retry_delay`` after ``now``, the run's moment."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING, attempts=attempt - 1)
            .first()
        )
        if delivery is None:
            report.skipped += 1
            return
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=attempt,
            started_at=started,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
            succeeded=outcome.succeeded,
        )
        delivery.attempts = attempt
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        sub = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
        if outcome.succeeded:
            delivery.status = WebhookDelivery.Status.SUCCEEDED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            if sub.consecutive_failures:
                sub.consecutive_failures = 0
                sub.save(update_fields=["consecutive_failures"])
            report.succeeded += 1
        else:
            if attempt >= conf.max_attempts():
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = now + retry_delay(attempt, rand=rand)
                at = delivery.next_attempt_at
                transaction.on_commit(lambda: _enqueue_retry(at), robust=True)
            sub.consecutive_failures += 1
            sub.save(update_fields=["consecutive_failures"])
            if sub.is_active and sub.consecutive_failures >= conf.disable_after():
                from huiyuan.webhooks.services import subscription_disable_failing

                subscription_disable_failing(
                    actor=SYSTEM, subscription_id=sub.pk, failures=sub.consecutive_failures
                )
            report.failed += 1
            log.warning(
                "webhook delivery %s to subscription %s failed (attempt %s): %s",
                delivery.uid,
                sub.pk,
                attempt,
                outcome.status_code or outcome.error[:80],
            )
        delivery.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "last_status_code",
                "last_error",
                "delivered_at",
            ]
        )


def deliveries_send(
    *,
    now: dt.datetime | None = None,
    batches: int = 20,
    rand: Callable[[], float] = random.random,
) -> SendReport:
    """Send every due delivery (up to ``batches`` × ``BATCH``)."""
    report = SendReport()
    for _batch in range(batches):
        moment = now or timezone.now()
        ids = _claim(moment, BATCH)
        if not ids:
            break
        for delivery_id in ids:
            try:
                _send_one(delivery_id, moment, report, rand)
            except Exception:
                log.exception("webhook delivery %s: not sent; its lease will run out", delivery_id)
    return report


def deliveries_due(now: dt.datetime | None = None) -> bool:
    return WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now or timezone.now()
    ).exists()
