"""Reads of sales: one receipt by id or number, the card's balances right after it, and a
member's recent sales. Shared by the API and the console."""

from __future__ import annotations

from huiyuan.cards.selectors import card_balances_after
from huiyuan.checkout.models import Sale
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members.models import Member


def sale_get(*, actor: Actor, sale_id: int | None = None, number: str = "") -> Sale | None:
    """One sale by id or receipt number (None when it does not exist)."""
    require(actor, Perm.MEMBER_VIEW)
    qs = Sale.objects.select_related("member", "card", "store", "operator")
    if sale_id is not None:
        return qs.filter(pk=sale_id).first()
    return qs.filter(number=number.strip()).first()


def sale_balances_after(sale: Sale) -> dict[str, int] | None:
    """The card's principal, bonus and points right after ``sale`` (None: no card).

    The same on every read, so a replayed request gets the same receipt."""
    if sale.card_id is None or sale.operation_id is None:
        return None
    return card_balances_after(card_id=sale.card_id, operation_id=sale.operation_id)


def member_sales(*, actor: Actor, member: Member, limit: int = 10) -> list[Sale]:
    """The member's latest sales, newest first: at every store for a member of the actor's
    stores, only at the actor's stores for a member of another store (通存通兑 service)."""
    require(actor, Perm.MEMBER_VIEW)
    sales = Sale.objects.filter(member=member)
    if not actor.covers_store(member.home_store_id):
        sales = sales.filter(store_id__in=actor.store_ids or ())
    return list(sales.select_related("card", "store").order_by("-created_at", "-id")[:limit])
