"""Reads of online orders: store-scoped for staff, own-only for members."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.payments.models import OnlineOrder, PaymentNotification
from huiyuan.selfservice.actor import MemberActor, own


def notify_base_url(request_origin: str) -> str:
    """Where providers send notifications: the configured public origin, else the request's."""
    return (getattr(settings, "PAYMENTS_NOTIFY_BASE_URL", "") or request_origin).rstrip("/")


def _orders() -> QuerySet[OnlineOrder]:
    return OnlineOrder.objects.select_related("card", "store", "package", "benefit_plan")


def order_list(
    *, actor: Actor, status: str = "", provider: str = "", number: str = ""
) -> QuerySet[OnlineOrder]:
    """Online orders of the stores the actor works at (every store for head office)."""
    require(actor, Perm.PAYMENT_VIEW)
    rows = _orders()
    if actor.store_ids is not None:
        rows = rows.filter(store_id__in=actor.store_ids)
    if status:
        rows = rows.filter(status=status)
    if provider:
        rows = rows.filter(provider=provider)
    if number:
        rows = rows.filter(number=number.strip())
    return rows


def order_get(*, actor: Actor, order_id: int) -> OnlineOrder:
    require(actor, Perm.PAYMENT_VIEW)
    order = _orders().filter(pk=order_id).first()
    if order is None or not actor.covers_store(order.store_id):
        raise NotFound(_("Unknown online order."), code="order_not_found")
    return order


def order_notifications(order: OnlineOrder) -> list[PaymentNotification]:
    return list(order.notifications.order_by("received_at", "pk"))


def member_order_get(*, actor: MemberActor, number: str) -> OnlineOrder:
    """A member's own order by its number (someone else's is not found)."""
    order = _orders().filter(number=number).first()
    if order is None:
        raise NotFound(_("Unknown online order."), code="order_not_found")
    own(actor, order.member_id)
    return order


def member_orders(*, actor: MemberActor, limit: int = 20) -> list[OnlineOrder]:
    return list(_orders().filter(member_id=actor.member_id)[:limit])
