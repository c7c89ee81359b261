"""Webhook endpoints: subscriptions (CRUD, disable, enable, a new secret), the delivery
log and replay. Owner and head office (``webhook.manage``). Every POST and PATCH takes
an Idempotency-Key: a retried create returns the first subscription (with its secret)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.api.schemas.webhooks import (
    DeliveryDetailOut,
    DeliveryPageOut,
    DeliveryQuery,
    WebhookActionIn,
    WebhookCreateIn,
    WebhookOut,
    WebhookPatchIn,
    WebhookSecretOut,
)
from huiyuan.webhooks import selectors, services
from huiyuan.webhooks.models import WebhookDelivery, WebhookSubscription

router = Router(tags=["webhooks"])

SubscriptionId = Path(..., ge=1, le=MAX_ID, description="Subscription id.")
DeliveryId = Path(..., ge=1, le=MAX_ID, description="Delivery id.")


def _with_secret(sub: WebhookSubscription) -> dict[str, Any]:
    return {
        **{f: getattr(sub, f) for f in WebhookOut.model_fields},
        "secret": selectors.subscription_secret(sub),
    }


@router.get(
    "/webhooks/subscriptions",
    response={200: list[WebhookOut], **ERRORS},
    summary="Webhook subscriptions, newest first",
)
def webhook_list(request: HttpRequest) -> list[WebhookSubscription]:
    return list(selectors.subscription_list(actor=actor_of(request)))


@router.post(
    "/webhooks/subscriptions",
    response={201: WebhookSecretOut, **ERRORS},
    summary="Subscribe a URL to events (the secret is returned once)",
)
def webhook_create(
    request: HttpRequest, payload: WebhookCreateIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    sub = services.subscription_create(
        actor=actor_of(request),
        name=payload.name,
        url=payload.url,
        event_names=list(payload.event_names),
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _with_secret(sub))


@router.get(
    "/webhooks/subscriptions/{int:subscription_id}",
    response={200: WebhookOut, **ERRORS},
    summary="A webhook subscription",
)
def webhook_detail(
    request: HttpRequest, subscription_id: int = SubscriptionId
) -> WebhookSubscription:
    return selectors.subscription_get(actor=actor_of(request), subscription_id=subscription_id)


@router.patch(
    "/webhooks/subscriptions/{int:subscription_id}",
    response={200: WebhookOut, **ERRORS},
    summary="Change a subscription's name, URL or events",
)
def webhook_update(
    request: HttpRequest,
    payload: WebhookPatchIn,
    subscription_id: int = SubscriptionId,
    idempotency_key: str = IdempotencyKey,
) -> WebhookSubscription:
    return services.subscription_update(
        actor=actor_of(request),
        subscription_id=subscription_id,
        name=payload.name,
        url=payload.url,
        event_names=list(payload.event_names) if payload.event_names is not None else None,
        idempotency_key=require_key(idempotency_key),
    )


@router.delete(
    "/webhooks/subscriptions/{int:subscription_id}",
    response={200: WebhookOut, **ERRORS},
    summary="Delete a subscription and its delivery log (returns what was deleted)",
)
def webhook_delete(request: HttpRequest, subscription_id: int = SubscriptionId) -> dict[str, Any]:
    actor = actor_of(request)
    sub = selectors.subscription_get(actor=actor, subscription_id=subscription_id)
    shown = {f: getattr(sub, f) for f in WebhookOut.model_fields}
    services.subscription_delete(actor=actor, subscription_id=subscription_id)
    return shown


@router.post(
    "/webhooks/subscriptions/{int:subscription_id}/disable",
    response={200: WebhookOut, **ERRORS},
    summary="Stop sending to a subscription",
)
def webhook_disable(
    request: HttpRequest,
    payload: WebhookActionIn | None = None,
    subscription_id: int = SubscriptionId,
    idempotency_key: str = IdempotencyKey,
) -> WebhookSubscription:
    return services.subscription_disable(
        actor=actor_of(request),
        subscription_id=subscription_id,
        idempotency_key=require_key(idempotency_key),
    )


@router.post(
    "/webhooks/subscriptions/{int:subscription_id}/enable",
    response={200: WebhookOut, **ERRORS},
    summary="Send to a disabled subscription again (failure count reset)",
)
def webhook_enable(
    request: HttpRequest,
    payload: WebhookActionIn | None = None,
    subscription_id: int = SubscriptionId,
    idempotency_key: str = IdempotencyKey,
) -> WebhookSubscription:
    return services.subscription_enable(
        actor=actor_of(request),
        subscription_id=subscription_id,
        idempotency_key=require_key(idempotency_key),
    )


@router.post(
    "/webhooks/subscriptions/{int:subscription_id}/rotate-secret",
    response={200: WebhookSecretOut, **ERRORS},
    summary="Replace the signing secret (the new one is returned once)",
)
def webhook_rotate_secret(
    request: HttpRequest,
    payload: WebhookActionIn | None = None,
    subscription_id: int = SubscriptionId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    sub = services.subscription_rotate_secret(
        actor=actor_of(request),
        subscription_id=subscription_id,
        idempotency_key=require_key(idempotency_key),
    )
    return _with_secret(sub)


@router.get(
    "/webhooks/deliveries",
    response={200: DeliveryPageOut, **ERRORS},
    summary="The delivery log, newest first",
)
def delivery_list(request: HttpRequest, page: Query[DeliveryQuery]) -> dict[str, Any]:
    qs = selectors.delivery_list(
        actor=actor_of(request),
        filters=selectors.DeliveryFilters(
            subscription_id=page.subscription_id,
            status=page.status or "",
            event_name=page.event or "",
        ),
    )
    return {
        "count": qs.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": list(qs[page.offset : page.offset + page.limit]),
    }


@router.get(
    "/webhooks/deliveries/{int:delivery_id}",
    response={200: DeliveryDetailOut, **ERRORS},
    summary="A delivery with the body sent and every attempt",
)
def delivery_detail(request: HttpRequest, delivery_id: int = DeliveryId) -> dict[str, Any]:
    delivery = selectors.delivery_get(actor=actor_of(request), delivery_id=delivery_id)
    return {
        **{f: getattr(delivery, f) for f in DeliveryDetailOut.model_fields if f != "attempt_log"},
        "attempt_log": list(delivery.attempt_log.all()),
    }


@router.post(
    "/webhooks/deliveries/{int:delivery_id}/replay",
    response={201: DeliveryDetailOut, **ERRORS},
    summary="Send a delivery's event again, as a new delivery",
)
def delivery_replay(
    request: HttpRequest,
    payload: WebhookActionIn | None = None,
    delivery_id: int = DeliveryId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    replay: WebhookDelivery = services.delivery_replay(
        actor=actor_of(request),
        delivery_id=delivery_id,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(
        201,
        {
            **{f: getattr(replay, f) for f in DeliveryDetailOut.model_fields if f != "attempt_log"},
            "attempt_log": list(replay.attempt_log.all()),
        },
    )
