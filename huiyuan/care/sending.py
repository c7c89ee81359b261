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
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from huiyuan.care.channels import (
    ChannelNotConfigured,
    Message,
    Receipt,
    channel_backend_path,
    channel_get,
    send_each,
)
from huiyuan.care.models import ChannelKind, Delivery, MessageKind, OptOut
from huiyuan.care.templates import render_wording, wording_for
from huiyuan.core import pii
from huiyuan.core.clock import local_time
from huiyuan.core.errors import ValidationFailed
from huiyuan.members.models import Member

if TYPE_CHECKING:
    from django.db.models import Field

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 6 * 3600
LEASE = dt.timedelta(minutes=5)
BATCH = 500
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


def marketing_allowed(member_id: int) -> bool:
    """False when the member opted out here (退订) or in their self-service settings."""
    return member_id not in marketing_denied({member_id})


def opt_out(*, member_id: int, source: str) -> bool:
    """Record the member's opt-out (idempotent); True when it is new."""
    _, created = OptOut.objects.get_or_create(
        member_id=member_id, defaults={"source": source, "created_at": timezone.now()}
    )
    return created


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


@dataclass(frozen=True)
class Outgoing:
    """One message of a bulk queue: the member, the address, the template variables."""

    member_id: int | None
    to: str
    context: dict[str, Any]


def deliveries_queue_bulk(
    *,
    template: str,
    channel: str,
    items: list[Outgoing],
    kind: str | None = None,
    campaign_id: int | None = None,
) -> list[Delivery]:
    """Write many deliveries of one template in one insert (the wording read once); the
    caller asks the worker to send them (``enqueue_sweep``). Same rows as ``delivery_queue``."""
    wording = wording_for(template, channel)
    if wording is None:
        raise ValidationFailed(f"unknown message template {template}", code="care_template_unknown")
    kind = kind or wording.kind
    effective = (
        wording if wording.kind == kind else type(wording)(**{**wording.__dict__, "kind": kind})
    )
    try:
        backend = channel_backend_path(channel)
    except ChannelNotConfigured:
        backend = ""
    now = timezone.now()
    rows = []
    for item in items:
        if kind == MessageKind.MARKETING and item.member_id is None:
            raise ValidationFailed(
                "a marketing message needs a member", code="care_member_required"
            )
        url = (
            unsubscribe_url(item.member_id)
            if kind == MessageKind.MARKETING and item.member_id
            else ""
        )
        subject, body = render_wording(effective, item.context, unsubscribe_url=url)
        to = item.to
        rows.append(
            Delivery(
                channel=channel,
                backend=backend,
                kind=kind,
                template_code=template,
                member_id=item.member_id,
                recipient_enc=pii.encrypt(to) if to else "",
                recipient_hash=pii.keyed_hash(to) if to else "",
                recipient_masked=_masked(channel, to),
                subject=subject[:200],
                body=body,
                params={k: v for k, v in item.context.items() if isinstance(v, (str, int))},
                campaign_id=campaign_id,
                created_at=now,
                next_attempt_at=now,
            )
        )
    return Delivery.objects.bulk_create(rows)


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


def sweep_after_commit() -> None:
    """Ask the worker to send what is due once the caller commits (at once when tasks run
    inline)."""
    from django_tasks.backends.immediate import ImmediateBackend

    from huiyuan.care.tasks import send_deliveries

    if isinstance(send_deliveries.get_backend(), ImmediateBackend):
        send_deliveries.enqueue()
    else:
        transaction.on_commit(send_deliveries.enqueue, robust=True)


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


def _claim(ids: list[int], now: dt.datetime) -> list[Delivery]:
    """Claim the due deliveries among ``ids`` in one conditional ``UPDATE`` (their next
    attempt moves a lease on, to a mark of this call's own), then read back those carrying
    the mark: two workers never both hold one delivery."""
    mark = now + LEASE + dt.timedelta(microseconds=random.randrange(1, 60_000_000))
    claimed = Delivery.objects.filter(
        pk__in=ids, status=Delivery.Status.QUEUED, next_attempt_at__lte=now
    ).update(next_attempt_at=mark)
    if not claimed:
        return []
    return list(
        Delivery.objects.filter(
            pk__in=ids, status=Delivery.Status.QUEUED, next_attempt_at=mark
        ).order_by("pk")
    )


def marketing_denied(member_ids: set[int] | list[int]) -> set[int]:
    """The members among ``member_ids`` who may not receive marketing (set-based, two
    queries): opted out here (退订), withdrawn in self-service, or no longer active."""
    ids = set(member_ids)
    if not ids:
        return set()
    denied = set(OptOut.objects.filter(member_id__in=ids).values_list("member_id", flat=True))
    denied |= set(
        Member.objects.filter(pk__in=ids)
        .filter(~Q(status=Member.Status.ACTIVE) | Q(marketing_consent__allowed=False))
        .values_list("pk", flat=True)
    )
    return denied


def _marketing_sent(member_ids: set[int], now: dt.datetime, exclude: list[int]) -> dict[int, int]:
    """Marketing messages each member was sent within the cap's window (one query)."""
    _count, days = marketing_cap()
    return dict(
        Delivery.objects.filter(
            member_id__in=member_ids,
            kind=MessageKind.MARKETING,
            status__in=[Delivery.Status.SENT, Delivery.Status.DELIVERED],
            sent_at__gte=now - dt.timedelta(days=days),
        )
        .exclude(pk__in=exclude)
        .values_list("member_id")
        .annotate(n=Count("pk"))
        .values_list("member_id", "n")
    )


OUTCOME_FIELDS = [
    "status",
    "reason",
    "attempts",
    "next_attempt_at",
    "provider_id",
    "provider_response",
    "last_error",
    "sent_at",
    "delivered_at",
]


def _outcomes_write(rows: list[Delivery]) -> None:
    """Write the outcome fields of ``rows`` in one ``UPDATE`` (a field the rows share is a
    plain value, one that differs a ``CASE`` on the id). Django's ``bulk_update`` builds an
    expression per row and field, which cost more than the sending itself."""
    if not rows:
        return
    qn = connection.ops.quote_name
    ids = [d.pk for d in rows]
    sets: list[str] = []
    params: list[Any] = []
    for name in OUTCOME_FIELDS:
        field = cast("Field[Any, Any]", Delivery._meta.get_field(name))
        values = [field.get_db_prep_value(getattr(d, field.attname), connection) for d in rows]
        if len({repr(v) for v in values}) == 1:
            expr = "%s"
            params.append(values[0])
        else:
            expr = f"CASE {qn('id')} {' '.join(['WHEN %s THEN %s'] * len(rows))} END"
            for pk, value in zip(ids, values, strict=True):
                params += [pk, value]
        if connection.vendor == "postgresql":  # a NULL or text literal takes the column's type
            expr = f"CAST({expr} AS {field.db_type(connection)})"
        sets.append(f"{qn(field.column)} = {expr}")
    marks = ", ".join(["%s"] * len(ids))
    table = qn(Delivery._meta.db_table)
    sql = f"UPDATE {table} SET {', '.join(sets)} WHERE {qn('id')} IN ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ids])


def deliveries_send_batch(ids: list[int], *, now: dt.datetime | None = None) -> dict[int, str]:
    """Send the due deliveries among ``ids`` with set-based look-ups: one claim, one read,
    consent and the cap for all of them at once, the quiet hours once, one channel call per
    channel (a bulk insert for the outbox and the inbox), one bulk update of the outcomes.
    The number of statements does not grow with the batch. Outcome per delivery id."""
    now = now or timezone.now()
    outcome: dict[int, str] = dict.fromkeys(ids, "skipped")
    deliveries = _claim(ids, now)
    if not deliveries:
        return outcome
    marketing = [d for d in deliveries if d.kind == MessageKind.MARKETING and d.member_id]
    members = {d.member_id for d in marketing if d.member_id is not None}
    denied = marketing_denied(members)
    until = quiet_until(now)
    cap, _days = marketing_cap()
    counted = (
        _marketing_sent(members - denied, now, [d.pk for d in deliveries])
        if marketing and until is None and cap > 0
        else {}
    )
    changed: list[Delivery] = []
    deferred: list[int] = []
    to_send: dict[str, list[Delivery]] = {}
    for d in deliveries:
        if d.kind == MessageKind.MARKETING and d.member_id is not None:
            if d.member_id in denied:
                d.status, d.reason, d.next_attempt_at = (
                    Delivery.Status.SUPPRESSED,
                    "opted_out",
                    None,
                )
                changed.append(d)
                outcome[d.pk] = "opted_out"
                continue
            if until is not None:
                deferred.append(d.pk)
                outcome[d.pk] = "deferred"
                continue
            if cap > 0:
                if counted.get(d.member_id, 0) >= cap:
                    d.status, d.reason, d.next_attempt_at = (
                        Delivery.Status.SUPPRESSED,
                        "capped",
                        None,
                    )
                    changed.append(d)
                    outcome[d.pk] = "capped"
                    continue
                counted[d.member_id] = counted.get(d.member_id, 0) + 1
        to_send.setdefault(d.channel, []).append(d)
    retry_at: list[dt.datetime] = []
    for channel, batch in to_send.items():
        try:
            backend = channel_get(channel)
        except ChannelNotConfigured:
            for d in batch:
                d.status, d.attempts, d.next_attempt_at = (
                    Delivery.Status.FAILED,
                    d.attempts + 1,
                    None,
                )
                d.last_error = f"channel {channel} not configured"
                changed.append(d)
                outcome[d.pk] = "failed"
            continue
        messages = [_message(d) for d in batch]
        try:
            with transaction.atomic():  # the outbox and the inbox write rows
                many = getattr(backend, "send_many", None)
                results = many(messages) if many else send_each(backend, messages)
        except Exception as exc:  # noqa: BLE001 - the whole call failed: each is retried
            results = [exc] * len(batch)
        done = timezone.now()
        for d, result in zip(batch, results, strict=True):
            d.attempts += 1
            if isinstance(result, Exception):
                log.warning("care delivery %s attempt %s failed: %s", d.pk, d.attempts, result)
                error, response, retryable = f"{type(result).__name__}: {result}", "", True
            elif result.ok:
                d.status = Delivery.Status.DELIVERED if result.delivered else Delivery.Status.SENT
                d.next_attempt_at = None
                d.provider_id = result.provider_id[:100]
                d.provider_response = result.response[:4000]
                d.last_error = d.reason = ""
                d.sent_at = done
                d.delivered_at = done if result.delivered else None
                changed.append(d)
                outcome[d.pk] = "delivered" if result.delivered else "sent"
                continue
            else:
                error, response, retryable = "refused", result.response, result.retryable
            d.last_error = error[:500]
            d.provider_response = response[:4000]
            if retryable and d.attempts < MAX_ATTEMPTS:
                d.next_attempt_at = now + retry_delay(d.attempts)
                retry_at.append(d.next_attempt_at)
                outcome[d.pk] = "retry"
            else:
                d.status, d.next_attempt_at = Delivery.Status.FAILED, None
                outcome[d.pk] = "failed"
            changed.append(d)
    _outcomes_write(changed)
    if deferred:
        assert until is not None
        Delivery.objects.filter(pk__in=deferred).update(reason="quiet_hours", next_attempt_at=until)
        retry_at.append(until)
    if retry_at:
        _defer(min(retry_at))
    return outcome


def _message(delivery: Delivery) -> Message:
    return Message(
        delivery_id=delivery.pk,
        channel=delivery.channel,
        to=pii.decrypt(delivery.recipient_enc),
        subject=delivery.subject,
        body=delivery.body,
        template_code=delivery.template_code,
        params=delivery.params,
        member_id=delivery.member_id,
    )


def delivery_send(delivery_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one due delivery (claimed first: two workers never both send it); returns the
    status it ends this attempt in."""
    return deliveries_send_batch([delivery_id], now=now)[delivery_id]


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
        for outcome in deliveries_send_batch(ids, now=current).values():
            counts[outcome] = counts.get(outcome, 0) + 1
            handled += 1
    return counts


# ------------------------------------------------------------------------------ receipts


@dataclass(frozen=True)
class ReceiptOutcome:
    applied: int  # a sent message now delivered or failed
    repeated: int  # a receipt already applied (providers push again): nothing changes
    refused: list[str]  # unknown message ids (or a number that is not the recipient's)


def receipts_apply(backend: str, receipts: list[Receipt]) -> ReceiptOutcome:
    """Apply an SMS provider's delivery receipts (回执) to the deliveries ``backend`` sent:
    ``sent`` → ``delivered`` or ``failed`` with the receipt kept. A receipt for a delivery
    that already has its final status changes nothing; one naming a message this backend
    did not send (or another number than its recipient's) is refused and changes nothing."""
    ids = {r.provider_id for r in receipts if r.provider_id}
    deliveries = {
        d.provider_id: d
        for d in Delivery.objects.filter(
            channel=ChannelKind.SMS, backend=backend, provider_id__in=ids
        ).exclude(provider_id="")
    }
    applied = repeated = 0
    refused: list[str] = []
    now = timezone.now()
    for receipt in receipts:
        delivery = deliveries.get(receipt.provider_id)
        if delivery is None or not _same_number(receipt.mobile, delivery.recipient_hash):
            refused.append(receipt.provider_id[:100])
            continue
        fields: dict[str, Any] = {"receipt": receipt.answer[:4000]}
        if receipt.delivered:
            fields.update(status=Delivery.Status.DELIVERED, delivered_at=now)
        else:
            fields.update(status=Delivery.Status.FAILED, last_error=receipt.error[:500])
        # Only a message still waiting for its receipt moves: repeats change nothing.
        changed = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENT).update(
            **fields
        )
        if changed:
            applied += 1
            delivery.status = fields["status"]
        else:
            repeated += 1
    return ReceiptOutcome(applied=applied, repeated=repeated, refused=refused)


def _same_number(reported: str, recipient_hash: str) -> bool:
    """The number in a receipt is the recipient's (a masked or missing one is not checked)."""
    digits = reported.strip().removeprefix("+")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not (digits.isdigit() and len(digits) == 11):
        return True
    return constant_time_compare(pii.keyed_hash(digits), recipient_hash)
