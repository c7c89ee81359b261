"""Sending: a message is a ``Delivery`` row first (queued, in the caller's transaction),
then the worker sends it through the configured channel and records the outcome.

- **Transactional** messages (verification codes, balance changes, expiry notices) are
  never held back by a marketing opt-out, quiet hours or the frequency cap.
- **Marketing** messages are checked when the worker sends them, so an opt-out counts at
  once: opted out → not sent (``suppressed``/``opted_out``); over the cap → not sent
  (``capped``); in quiet hours (21:00–09:00 local by default) → deferred to the end of
  the quiet hours, not dropped. Each carries the unsubscribe line.
- A failure (no answer, a provider error that may pass) is tried again after 30 s, 1 min,
  2 min… (±10 %), up to ``MAX_ATTEMPTS``; a refusal that will not change fails at once.

The send task is enqueued in the caller's transaction: with the database task backend the
task row commits with the delivery (a rolled-back request sends nothing); the scheduler
sweeps deliveries that are due (a deferred one, a retry, a lost task).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import random
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from huiyuan.care.channels import ChannelNotConfigured, Message, channel_backend_path, channel_get
from huiyuan.care.models import ChannelKind, Delivery, MessageKind, OptOut
from huiyuan.care.templates import render_wording, wording_for
from huiyuan.core import pii
from huiyuan.core.clock import local_time
from huiyuan.core.errors import ValidationFailed
from huiyuan.members.models import Member

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 6 * 3600
LEASE = dt.timedelta(minutes=5)
BATCH = 100
UNSUBSCRIBE_SALT = "huiyuan.care.unsubscribe"


# ------------------------------------------------------------------------------ settings


def quiet_hours() -> tuple[int, int]:
    start, end = getattr(settings, "HUIYUAN_CARE_QUIET_HOURS", (21, 9))
    return int(start), int(end)


def marketing_cap() -> tuple[int, int]:
    """(messages, days): at most this many marketing messages per member in that window."""
    count, days = getattr(settings, "HUIYUAN_CARE_MARKETING_CAP", (3, 7))
    return int(count), int(days)


def retry_delay(attempts: int, *, rand: Callable[[], float] = random.random) -> dt.timedelta:
    base = RETRY_BASE_SECONDS * 2 ** (attempts - 1)
    return dt.timedelta(seconds=min(RETRY_CAP_SECONDS, round(base * (0.9 + 0.2 * rand()))))


def quiet_until(now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours when ``now`` is inside them, else None."""
    start, end = quiet_hours()
    local = local_time(now)
    if start == end:
        return None
    inside = (local.hour >= start or local.hour < end) if start > end else start <= local.hour < end
    if not inside:
        return None
    day = local.date() if local.hour < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(end), tzinfo=local.tzinfo)


# ------------------------------------------------------------------------------ consent


def unsubscribe_token(member_id: int) -> str:
    """A short signed token naming the member (an SMS pays for every character)."""
    mac = salted_hmac(UNSUBSCRIBE_SALT, str(member_id)).hexdigest()[:16]
    return f"{member_id}-{mac}"


def unsubscribe_member_id(token: str) -> int | None:
    head, _, mac = token.partition("-")
    if not head.isdigit() or len(head) > 19:
        return None
    member_id = int(head)
    expected = salted_hmac(UNSUBSCRIBE_SALT, str(member_id)).hexdigest()[:16]
    return member_id if constant_time_compare(mac, expected) else None


def unsubscribe_url(member_id: int) -> str:
    base = str(getattr(settings, "HUIYUAN_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}/care/u/{unsubscribe_token(member_id)}/"


def _selfservice_allows(member_id: int) -> bool | None:
    try:
        module = importlib.import_module("huiyuan.selfservice.selectors")
    except ImportError:
        return None
    check = getattr(module, "marketing_allowed", None)
    return None if check is None else bool(check(member_id))


def marketing_allowed(member_id: int) -> bool:
    """False when the member opted out here (退订) or in their self-service settings."""
    if OptOut.objects.filter(member_id=member_id).exists():
        return False
    allowed = _selfservice_allows(member_id)
    return True if allowed is None else allowed


def opt_out(*, member_id: int, source: str) -> bool:
    """Record the member's opt-out (idempotent); True when it is new."""
    _, created = OptOut.objects.get_or_create(
        member_id=member_id, defaults={"source": source, "created_at": timezone.now()}
    )
    return created


def _over_cap(member_id: int, now: dt.datetime, exclude: int) -> bool:
    count, days = marketing_cap()
    if count <= 0:
        return False
    sent = (
        Delivery.objects.filter(
            member_id=member_id,
            kind=MessageKind.MARKETING,
            status__in=[Delivery.Status.SENT, Delivery.Status.DELIVERED],
            sent_at__gte=now - dt.timedelta(days=days),
        )
        .exclude(pk=exclude)
        .count()
    )
    return sent >= count


# ------------------------------------------------------------------------------ queueing


def member_address(member: Member, channel: str) -> str:
    if channel == ChannelKind.SMS:
        return pii.decrypt(member.mobile_enc)
    if channel == ChannelKind.EMAIL:
        return member.email
    if channel == ChannelKind.WECHAT:
        return str((member.custom_fields or {}).get("wechat_openid", ""))
    return str(member.pk)  # inbox, webhook


def _masked(channel: str, address: str) -> str:
    if channel == ChannelKind.SMS:
        return pii.mask_mobile(address)
    if channel == ChannelKind.EMAIL and "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:2]}***@{domain}"[:60]
    return address[:60]


def delivery_queue(
    *,
    template: str,
    channel: str,
    to: str,
    context: dict[str, Any],
    member_id: int | None = None,
    kind: str | None = None,
    campaign_id: int | None = None,
    enqueue: bool = True,
) -> Delivery:
    """Write the delivery (rendered now, with the template's wording of today) and hand
    it to the worker. ``kind`` overrides the template's (transactional for codes)."""
    wording = wording_for(template, channel)
    if wording is None:
        raise ValidationFailed(f"unknown message template {template}", code="care_template_unknown")
    kind = kind or wording.kind
    if kind == MessageKind.MARKETING and member_id is None:
        raise ValidationFailed("a marketing message needs a member", code="care_member_required")
    url = unsubscribe_url(member_id) if kind == MessageKind.MARKETING and member_id else ""
    effective = (
        wording if wording.kind == kind else type(wording)(**{**wording.__dict__, "kind": kind})
    )
    subject, body = render_wording(effective, context, unsubscribe_url=url)
    try:
        backend = channel_backend_path(channel)
    except ChannelNotConfigured:
        backend = ""
    now = timezone.now()
    delivery = Delivery.objects.create(
        channel=channel,
        backend=backend,
        kind=kind,
        template_code=template,
        member_id=member_id,
        recipient_enc=pii.encrypt(to) if to else "",
        recipient_hash=pii.keyed_hash(to) if to else "",
        recipient_masked=_masked(channel, to),
        subject=subject[:200],
        body=body,
        params={k: v for k, v in context.items() if isinstance(v, (str, int))},
        campaign_id=campaign_id,
        created_at=now,
        next_attempt_at=now,
    )
    if enqueue:
        _enqueue_one(delivery.pk)
    return delivery


def _enqueue_one(delivery_id: int) -> None:
    """Send after the caller commits (the worker then sees the row); a backend that runs
    tasks inline runs it now, in the caller's transaction."""
    from django_tasks.backends.immediate import ImmediateBackend

    from huiyuan.care.tasks import send_delivery

    if isinstance(send_delivery.get_backend(), ImmediateBackend):
        send_delivery.enqueue(delivery_id)
    else:
        transaction.on_commit(lambda: send_delivery.enqueue(delivery_id), robust=True)


def enqueue_sweep() -> None:
    from huiyuan.care.tasks import send_deliveries

    send_deliveries.enqueue()


def send_transactional(
    *,
    template: str,
    mobile: str = "",
    member_id: int | None = None,
    email: str = "",
    context: dict[str, Any],
) -> Delivery:
    """Queue a transactional message (a verification code, a balance notice): by SMS to
    ``mobile``, else by e-mail to ``email``, else by SMS to the member's mobile. Never held
    back by a marketing opt-out, quiet hours or the cap."""
    channel = ChannelKind.SMS
    to = mobile
    if not to and email:
        channel, to = ChannelKind.EMAIL, email
    if not to and member_id is not None:
        member = Member.objects.filter(pk=member_id).first()
        if member is not None:
            to = member_address(member, channel)
    if not to:
        raise ValidationFailed("no address to send to", code="care_no_address")
    ctx = {"minutes": 5, **context}
    return delivery_queue(
        template=template,
        channel=channel,
        to=to,
        context=ctx,
        member_id=member_id,
        kind=MessageKind.TRANSACTIONAL,
    )


# ------------------------------------------------------------------------------ sending


def _claim_one(delivery_id: int, now: dt.datetime) -> bool:
    return bool(
        Delivery.objects.filter(
            pk=delivery_id, status=Delivery.Status.QUEUED, next_attempt_at__lte=now
        ).update(next_attempt_at=now + LEASE)
    )


def _record(delivery_id: int, **fields: Any) -> None:
    Delivery.objects.filter(pk=delivery_id).update(**fields)


def delivery_send(delivery_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one due delivery (claimed first: two workers never both send it); returns the
    status it ends this attempt in."""
    now = now or timezone.now()
    if not _claim_one(delivery_id, now):
        return "skipped"
    delivery = Delivery.objects.get(pk=delivery_id)
    if delivery.kind == MessageKind.MARKETING and delivery.member_id is not None:
        if not marketing_allowed(delivery.member_id):
            _record(
                delivery_id,
                status=Delivery.Status.SUPPRESSED,
                reason="opted_out",
                next_attempt_at=None,
            )
            return "opted_out"
        until = quiet_until(now)
        if until is not None:
            _record(delivery_id, reason="quiet_hours", next_attempt_at=until)
            _defer(until)
            return "deferred"
        if _over_cap(delivery.member_id, now, delivery_id):
            _record(
                delivery_id,
                status=Delivery.Status.SUPPRESSED,
                reason="capped",
                next_attempt_at=None,
            )
            return "capped"
    message = Message(
        delivery_id=delivery.pk,
        channel=delivery.channel,
        to=pii.decrypt(delivery.recipient_enc),
        subject=delivery.subject,
        body=delivery.body,
        template_code=delivery.template_code,
        params=delivery.params,
        member_id=delivery.member_id,
    )
    attempts = delivery.attempts + 1
    try:
        with transaction.atomic():  # the outbox and the inbox write rows
            result = channel_get(delivery.channel).send(message)
    except ChannelNotConfigured:
        _record(
            delivery_id,
            status=Delivery.Status.FAILED,
            attempts=attempts,
            next_attempt_at=None,
            last_error=f"channel {delivery.channel} not configured",
        )
        return "failed"
    except Exception as exc:  # noqa: BLE001 - the network, the provider: try again later
        log.warning("care delivery %s attempt %s failed: %s", delivery_id, attempts, exc)
        return _failed(delivery_id, attempts, f"{type(exc).__name__}: {exc}", "", True, now)
    if result.ok:
        done = timezone.now()
        _record(
            delivery_id,
            status=Delivery.Status.DELIVERED if result.delivered else Delivery.Status.SENT,
            attempts=attempts,
            next_attempt_at=None,
            provider_id=result.provider_id[:100],
            provider_response=result.response[:4000],
            last_error="",
            reason="",
            sent_at=done,
            delivered_at=done if result.delivered else None,
        )
        return "delivered" if result.delivered else "sent"
    return _failed(delivery_id, attempts, "refused", result.response, result.retryable, now)


def _failed(
    delivery_id: int, attempts: int, error: str, response: str, retryable: bool, now: dt.datetime
) -> str:
    if retryable and attempts < MAX_ATTEMPTS:
        at = now + retry_delay(attempts)
        _record(
            delivery_id,
            attempts=attempts,
            next_attempt_at=at,
            last_error=error[:500],
            provider_response=response[:4000],
        )
        _defer(at)
        return "retry"
    _record(
        delivery_id,
        status=Delivery.Status.FAILED,
        attempts=attempts,
        next_attempt_at=None,
        last_error=error[:500],
        provider_response=response[:4000],
    )
    return "failed"


def _defer(at: dt.datetime) -> None:
    """Ask a worker to come back at ``at`` when the backend can; the scheduler's sweep
    catches it otherwise."""
    from django_tasks import default_task_backend

    from huiyuan.care.tasks import send_deliveries

    if default_task_backend.supports_defer:
        send_deliveries.using(run_after=at).enqueue()


def deliveries_due(now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return Delivery.objects.filter(status=Delivery.Status.QUEUED, next_attempt_at__lte=now).exists()


def deliveries_send(now: dt.datetime | None = None, limit: int = 10_000) -> dict[str, int]:
    """Send the due deliveries, oldest first, in batches; a count per outcome."""
    counts: dict[str, int] = {}
    handled = 0
    while handled < limit:
        current = now or timezone.now()
        ids = list(
            Delivery.objects.filter(status=Delivery.Status.QUEUED, next_attempt_at__lte=current)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        for pk in ids:
            outcome = delivery_send(pk, now=current)
            counts[outcome] = counts.get(outcome, 0) + 1
            handled += 1
    return counts
