"""Webhooks end to end: a sale's event reaches a real HTTP receiver on loopback after the
commit, signed; failures are retried on schedule; a success is never sent again."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import Conflict, PermissionDenied, ValidationFailed
from huiyuan.events.dispatch import events_dispatch
from huiyuan.events.models import EventDelivery, OutboxEvent
from huiyuan.webhooks import services
from huiyuan.webhooks.delivery import deliveries_send, fan_out, retry_delay
from huiyuan.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from huiyuan.webhooks.signing import signature_verify

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(hours=7)  # past any single backoff


def verified(secret: str, request) -> bool:
    return signature_verify(
        secret, request.headers["X-Huiyuan-Signature"], request.body, now=int(time.time())
    )


def test_a_sale_reaches_the_receiver_after_the_commit_signed(subscribe, receiver, sell, committed):
    sub, secret = subscribe("sale.completed")
    with committed():
        sale = sell()
        assert receiver.requests == []  # nothing leaves inside the sale's transaction
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    delivery = WebhookDelivery.objects.get()
    assert got.path == "/hooks/huiyuan?src=test"
    assert got.headers["X-Huiyuan-Event"] == "sale.completed"
    assert got.headers["X-Huiyuan-Delivery"] == str(delivery.uid)
    assert got.headers["X-Huiyuan-Attempt"] == "1"
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert verified(secret, got)
    assert not verified(secret + "x", got)
    body = json.loads(got.body)
    event = OutboxEvent.objects.get(name="sale.completed")
    assert (body["id"], body["name"], body["payload"]["sale_id"]) == (
        event.pk,
        "sale.completed",
        sale.pk,
    )
    assert body["payload"]["payable_fen"] == 1_000
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    attempt = delivery.attempt_log.get()
    assert (attempt.number, attempt.status_code, attempt.succeeded) == (1, 200, True)
    assert attempt.response_excerpt == '{"ok": true}'
    assert attempt.duration_ms < 5_000
    assert event.deliveries.get().subscriber == "webhooks.fan_out"
    sub.refresh_from_db()
    assert sub.consecutive_failures == 0


def test_an_event_nobody_listens_to_costs_nothing(subscribe, sell):
    subscribe("wallet.recharged")  # a subscription, but not to sales
    sell()
    event = OutboxEvent.objects.get(name="sale.completed")
    assert event.status == "done"  # recorded as delivered at once: no dispatch
    assert not EventDelivery.objects.filter(event=event).exists()
    assert not WebhookDelivery.objects.exists()


def test_a_500_is_retried_with_the_same_body_and_then_succeeds(
    subscribe, receiver, sell, committed
):
    _sub, secret = subscribe("sale.completed")
    receiver.statuses = [500]
    with committed():
        sell()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at is not None
    wait = delivery.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=25) < wait <= dt.timedelta(seconds=33)
    assert deliveries_send().sent == 0  # not due yet
    report = deliveries_send(now=delivery.next_attempt_at + dt.timedelta(seconds=1))
    assert (report.sent, report.succeeded) == (1, 1)
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["X-Huiyuan-Delivery"] == second.headers["X-Huiyuan-Delivery"]
    assert (first.headers["X-Huiyuan-Attempt"], second.headers["X-Huiyuan-Attempt"]) == ("1", "2")
    assert verified(secret, first) and verified(secret, second)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("succeeded", 2, None)
    log = list(delivery.attempt_log.values_list("number", "status_code", "succeeded"))
    assert log == [(1, 500, False), (2, 200, True)]


def test_after_a_200_nothing_is_sent_again(subscribe, receiver, sell, committed):
    subscribe("sale.completed")
    with committed():
        sell()
    assert len(receiver.requests) == 1
    event = OutboxEvent.objects.get(name="sale.completed")
    # The outbox runs the fan-out again (a worker died before its record), the sender and
    # the dispatcher run again later: still one request.
    assert fan_out(event) == 0
    assert deliveries_send(now=timezone.now() + LATER).sent == 0
    events_dispatch(now=timezone.now() + LATER)
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.count() == 1


def test_the_backoff_schedule():
    mid = [retry_delay(n, rand=lambda: 0.5).total_seconds() for n in range(1, 13)]
    assert mid == [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600]
    assert retry_delay(1, rand=lambda: 0.0).total_seconds() == 27  # −10 %
    assert retry_delay(3, rand=lambda: 0.0).total_seconds() == 108
    assert retry_delay(3, rand=lambda: 0.999999).total_seconds() == 132  # +10 %
    assert retry_delay(10, rand=lambda: 0.999999).total_seconds() == 16896
    assert retry_delay(11, rand=lambda: 0.0).total_seconds() == 21600  # capped after jitter


def test_the_next_attempt_is_set_by_the_schedule(subscribe, receiver, sell, settings):
    subscribe("sale.completed")
    receiver.default = 503
    sell_event_at = timezone.now()
    sell()
    event = OutboxEvent.objects.get(name="sale.completed")
    fan_out(event)
    start = timezone.now()
    for attempt in range(1, 5):
        run_at = start + LATER * attempt
        report = deliveries_send(now=run_at, rand=lambda: 0.0)
        delivery = WebhookDelivery.objects.get()
        assert report.sent == 1  # one attempt per run: the next is due after the run
        assert delivery.attempts == attempt
        assert delivery.next_attempt_at == run_at + dt.timedelta(seconds=27 * 2 ** (attempt - 1))
    assert sell_event_at <= start


def test_a_delivery_fails_after_the_last_attempt(subscribe, receiver, sell, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    subscribe("sale.completed")
    receiver.default = 500
    sell()
    fan_out(OutboxEvent.objects.get(name="sale.completed"))
    deliveries_send()
    deliveries_send(now=timezone.now() + LATER)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)
    assert deliveries_send(now=timezone.now() + 3 * LATER).sent == 0
    assert len(receiver.requests) == 2


def test_a_subscription_is_disabled_after_n_failures_in_a_row(
    subscribe, receiver, sell, settings, committed
):
    settings.WEBHOOK_DISABLE_AFTER = 3
    sub, _secret = subscribe("sale.completed")
    receiver.default = 500
    with committed():
        sell()
    deliveries_send(now=timezone.now() + LATER)
    sub.refresh_from_db()
    assert (sub.is_active, sub.consecutive_failures) == (True, 2)
    deliveries_send(now=timezone.now() + 2 * LATER)
    sub.refresh_from_db()
    assert (sub.is_active, sub.disabled_reason, sub.consecutive_failures) == (
        False,
        "failures",
        3,
    )
    notice = AuditEvent.objects.get(action="webhook.disabled")
    assert (notice.subject_id, notice.after["reason"], notice.after["failures"]) == (
        str(sub.pk),
        "failures",
        3,
    )
    # What was still waiting fails without a request; new sales are not sent at all.
    deliveries_send(now=timezone.now() + 3 * LATER)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == ("failed", "subscription disabled")
    with committed():
        sell()
    assert len(receiver.requests) == 3
    assert WebhookDelivery.objects.count() == 1
    assert OutboxEvent.objects.filter(name="sale.completed").last().status == "done"


def test_a_success_resets_the_failure_count(subscribe, receiver, sell, settings):
    settings.WEBHOOK_DISABLE_AFTER = 3
    sub, _secret = subscribe("sale.completed")
    receiver.statuses = [500, 500]
    sell()
    fan_out(OutboxEvent.objects.get(name="sale.completed"))
    deliveries_send()
    deliveries_send(now=timezone.now() + LATER)
    sub.refresh_from_db()
    assert sub.consecutive_failures == 2
    deliveries_send(now=timezone.now() + 2 * LATER)
    sub.refresh_from_db()
    assert (sub.is_active, sub.consecutive_failures) == (True, 0)


def test_replay_sends_the_same_body_as_a_new_delivery(owner, subscribe, receiver, sell, committed):
    sub, secret = subscribe("sale.completed")
    with committed():
        sell()
    original = WebhookDelivery.objects.get()
    with committed():
        replay = services.delivery_replay(actor=owner, delivery_id=original.pk)
    first, second = receiver.requests
    assert first.body == second.body and verified(secret, second)
    assert second.headers["X-Huiyuan-Delivery"] == str(replay.uid) != str(original.uid)
    replay.refresh_from_db()
    assert (replay.status, replay.replay_of_id, replay.event_id) == (
        "succeeded",
        original.pk,
        original.event_id,
    )
    assert AuditEvent.objects.filter(action="webhook.delivery_replayed").count() == 1
    # A disabled subscription is not replayed to.
    services.subscription_disable(actor=owner, subscription_id=sub.pk)
    with pytest.raises(Conflict) as refused:
        services.delivery_replay(actor=owner, delivery_id=original.pk)
    assert refused.value.code == "webhook_disabled"
    assert WebhookDelivery.objects.count() == 2


def test_the_guard_refuses_private_targets_unless_allowed(
    owner, subscribe, receiver, sell, settings
):
    sub, _secret = subscribe("sale.completed")  # saved while loopback was allowed
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    for url in (
        "http://127.0.0.1:8000/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://192.168.1.10/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "ftp://example.com/x",
        "http://user:pw@example.com/x",
    ):
        with pytest.raises(ValidationFailed) as refused:
            services.subscription_create(
                actor=owner, name="bad", url=url, event_names=["sale.completed"]
            )
        assert refused.value.code == "invalid_webhook_url", url
    assert WebhookSubscription.objects.count() == 1
    sell()
    fan_out(OutboxEvent.objects.get(name="sale.completed"))
    deliveries_send()
    assert receiver.requests == []  # the saved loopback target is refused at send time
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.error.startswith("refused:")
    assert sub.deliveries.get().status == "pending"


def test_only_owner_and_head_office_manage_webhooks(actors, receiver):
    from huiyuan.core.permissions import Role

    for role in (Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER):
        with pytest.raises(PermissionDenied):
            services.subscription_create(
                actor=actors[role], name="x", url=receiver.url, event_names=["sale.completed"]
            )
    sub = services.subscription_create(
        actor=actors[Role.HQ_ADMIN], name="x", url=receiver.url, event_names=["sale.completed"]
    )
    assert sub.is_active and WebhookSubscription.objects.count() == 1


def test_unknown_events_are_refused(owner, receiver):
    with pytest.raises(ValidationFailed) as refused:
        services.subscription_create(
            actor=owner, name="x", url=receiver.url, event_names=["sale.completed", "nope"]
        )
    assert (refused.value.code, refused.value.details) == ("unknown_event", {"unknown": ["nope"]})
    assert not WebhookSubscription.objects.exists()
