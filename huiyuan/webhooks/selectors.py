"""Reads for webhooks: subscriptions, their deliveries with the attempt log, the secret."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.pii import decrypt
from huiyuan.webhooks.models import WebhookDelivery, WebhookSubscription


def subscription_list(*, actor: Actor) -> QuerySet[WebhookSubscription]:
    require(actor, Perm.WEBHOOK_MANAGE)
    return WebhookSubscription.objects.annotate(
        pending_count=Count("deliveries", filter=Q(deliveries__status="pending")),
        failed_count=Count("deliveries", filter=Q(deliveries__status="failed")),
    ).order_by("-id")


def subscription_get(*, actor: Actor, subscription_id: int) -> WebhookSubscription:
    require(actor, Perm.WEBHOOK_MANAGE)
    found = WebhookSubscription.objects.filter(pk=subscription_id).first()
    if found is None:
        raise NotFound(_("Webhook subscription not found."), code="webhook_not_found")
    return found


def subscription_secret(sub: WebhookSubscription) -> str:
    """The secret in clear: for the response that creates or rotates it, nowhere else."""
    return decrypt(sub.secret_encrypted)


def subscriptions_disabled_by_failures(*, actor: Actor) -> list[WebhookSubscription]:
    """The notice: subscriptions the worker disabled after repeated failures."""
    if not actor.has(Perm.WEBHOOK_MANAGE):
        return []
    return list(
        WebhookSubscription.objects.filter(
            is_active=False, disabled_reason=WebhookSubscription.DisabledReason.FAILURES
        ).order_by("-disabled_at")
    )


@dataclass(frozen=True)
class DeliveryFilters:
    subscription_id: int | None = None
    status: str = ""
    event_name: str = ""


def delivery_list(
    *, actor: Actor, filters: DeliveryFilters = DeliveryFilters()
) -> QuerySet[WebhookDelivery]:
    require(actor, Perm.WEBHOOK_MANAGE)
    qs = WebhookDelivery.objects.select_related("subscription").prefetch_related("attempt_log")
    if filters.subscription_id is not None:
        qs = qs.filter(subscription_id=filters.subscription_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.event_name:
        qs = qs.filter(event_name=filters.event_name)
    return qs.order_by("-id")


def delivery_get(*, actor: Actor, delivery_id: int) -> WebhookDelivery:
    require(actor, Perm.WEBHOOK_MANAGE)
    found = (
        WebhookDelivery.objects.select_related("subscription")
        .prefetch_related("attempt_log")
        .filter(pk=delivery_id)
        .first()
    )
    if found is None:
        raise NotFound(_("Webhook delivery not found."), code="delivery_not_found")
    return found
