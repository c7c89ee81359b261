"""Reads of sales: one receipt by id or number, the card's balances right after it, and a
member's recent sales. Shared by the API and the console."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from huiyuan import pricing
from huiyuan.cards.selectors import card_balances_after
from huiyuan.checkout.models import Holiday, Promotion, Sale
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


# ------------------------------------------------------------------------- promotions


def promotions_in_force_q(at: dt.datetime) -> Q:
    return Q(effective_from__lte=at) & (Q(effective_to__isnull=True) | Q(effective_to__gt=at))


def _engine_promotion(row: Promotion) -> pricing.Promotion:
    return pricing.Promotion(
        id=row.pk,
        version=row.version,
        code=row.code,
        name=row.name,
        kind=pricing.PromotionKind(row.kind),
        value=row.value,
        product_ids=frozenset(int(i) for i in row.product_ids or ()),
        category_codes=frozenset(str(c) for c in row.category_codes or ()),
        store_ids=frozenset(int(i) for i in row.store_ids or ()),
        weekdays=frozenset(int(d) for d in row.weekdays or ()),
        on_holidays=row.on_holidays,
        date_ranges=tuple(
            (dt.date.fromisoformat(start), dt.date.fromisoformat(end))
            for start, end in row.date_ranges or ()
        ),
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        priority=row.priority,
        stacking=pricing.Stacking(row.stacking),
    )


def promotions_in_force(at: dt.datetime) -> tuple[pricing.Promotion, ...]:
    """Every promotion version in force at ``at`` as the engine takes it (one query); the
    engine itself checks stores, weekdays, dates and holidays."""
    rows = Promotion.objects.filter(promotions_in_force_q(at)).order_by("priority", "pk")
    return tuple(_engine_promotion(row) for row in rows)


def holidays_around(day: dt.date) -> frozenset[dt.date]:
    """Public holidays on or next to ``day`` (what a promotion "on holidays" needs)."""
    dates = Holiday.objects.filter(
        date__gte=day - dt.timedelta(days=1), date__lte=day + dt.timedelta(days=1)
    ).values_list("date", flat=True)
    return frozenset(dates)


def promotion_list(*, actor: Actor, include_ended: bool = False) -> list[Promotion]:
    require(actor, Perm.CATALOG_VIEW)
    qs = Promotion.objects.order_by("code", "-version")
    if not include_ended:
        qs = qs.filter(Q(effective_to__isnull=True) | Q(effective_to__gt=timezone.now()))
    return list(qs)
