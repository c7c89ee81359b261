"""Reads of sales: one receipt by id or number, the card's balances right after it, and a
member's recent sales. Shared by the API and the console."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from huiyuan import pricing
from huiyuan.cards.selectors import card_balances_after
from huiyuan.checkout.models import Holiday, Promotion, Sale
from huiyuan.core.clock import local_day_bounds
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members.models import Member
from huiyuan.stores.scope import stores_in_view


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


def promotion_state(row: Promotion, at: dt.datetime) -> str:
    """``scheduled``, ``current`` or ``ended`` at ``at`` (a version ended before it
    started — withdrawn — is ``ended``)."""
    end = row.effective_to
    if end is not None and (end <= at or end <= row.effective_from):
        return "ended"
    if row.effective_from > at:
        return "scheduled"
    return "current"


def promotion_versions(
    *, actor: Actor, code: str = "", active_at: dt.datetime | None = None
) -> list[Promotion]:
    """Promotion versions, by code then newest version first: one code's, those in force
    at ``active_at``, or all."""
    require(actor, Perm.CATALOG_VIEW)
    qs = Promotion.objects.select_related("created_by").order_by("code", "-version")
    if code:
        qs = qs.filter(code=code)
    if active_at is not None:
        qs = qs.filter(promotions_in_force_q(active_at))
    return list(qs)


def promotion_get(*, actor: Actor, promotion_id: int) -> Promotion | None:
    require(actor, Perm.CATALOG_VIEW)
    return Promotion.objects.select_related("created_by").filter(pk=promotion_id).first()


def holiday_list(*, actor: Actor, year: int | None = None) -> list[Holiday]:
    """The holiday calendar, by date (one year's, or all)."""
    require(actor, Perm.CATALOG_VIEW)
    qs = Holiday.objects.order_by("date")
    if year is not None:
        qs = qs.filter(date__year=year)
    return list(qs)


# ----------------------------------------------------------------------- sales list


@dataclass(frozen=True)
class SaleFilters:
    """The sales list's filters; dates are local business dates, both ends included."""

    store_id: int | None = None
    cashier_id: int | None = None
    member_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    number: str = ""  # 小票号, or a part of it
    status: str = ""  # completed, partly_returned, returned, reversed


SALE_STATUSES = ("completed", "partly_returned", "returned", "reversed")


def sale_list(*, actor: Actor, filters: SaleFilters) -> QuerySet[Sale]:
    """Sales newest first, in the actor's store scope (a store-scoped actor sees its
    stores' sales only; asking for another store is refused)."""
    require(actor, Perm.MEMBER_VIEW)
    stores = stores_in_view(actor, filters.store_id)
    qs = Sale.objects.select_related("store", "operator", "member", "card")
    if stores is not None:
        qs = qs.filter(store_id__in=stores)
    if filters.cashier_id is not None:
        qs = qs.filter(operator_id=filters.cashier_id)
    if filters.member_id is not None:
        qs = qs.filter(member_id=filters.member_id)
    if filters.date_from is not None:
        qs = qs.filter(created_at__gte=local_day_bounds(filters.date_from)[0])
    if filters.date_to is not None:
        qs = qs.filter(created_at__lt=local_day_bounds(filters.date_to)[1])
    number = (filters.number or "").strip()
    if number:
        qs = qs.filter(number__icontains=number)
    if filters.status == "partly_returned":
        qs = qs.filter(status=Sale.Status.COMPLETED, returned_payable_fen__gt=0)
    elif filters.status == "completed":
        qs = qs.filter(status=Sale.Status.COMPLETED, returned_payable_fen=0)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("-created_at", "-id")


def sale_status(sale: Sale) -> str:
    """The status a person reads: partly returned is a completed sale with returns."""
    if sale.status == Sale.Status.COMPLETED and sale.returned_payable_fen:
        return "partly_returned"
    return sale.status


def sale_detail(*, actor: Actor, sale_id: int) -> Sale | None:
    """A sale with its lines and its returns (with their lines): three queries more."""
    sale = sale_get(actor=actor, sale_id=sale_id)
    if sale is None:
        return None
    sale.line_rows = list(sale.lines.select_related("product").order_by("position"))  # type: ignore[attr-defined]
    sale.return_rows = list(  # type: ignore[attr-defined]
        sale.returns.select_related("operator", "authorised_by")
        .prefetch_related("lines")
        .order_by("created_at", "pk")
    )
    return sale


def render_reason(reason: dict[str, Any]) -> str:
    """A stored reason (``{code, params}``) in the reader's language."""
    code, params = reason.get("code", ""), reason.get("params") or {}
    if code == "price.changed":
        if "lines" in params:
            return str(
                _(
                    "The price of %(n)s line(s) changed since the quote; the sale used the price in force."
                )
                % {"n": params["lines"]}
            )
        return str(
            _("Price changed since the quote: %(was)s → %(now)s (the price in force).")
            % {
                "was": fen_to_yuan_str(int(params["quoted_fen"])),
                "now": fen_to_yuan_str(int(params["price_fen"])),
            }
        )
    if code == "member.enrolled":
        if params.get("new"):
            return str(_("The customer joined as a member with this sale."))
        return str(_("The customer's mobile belongs to a member: the sale is on their card."))
    if code == "sale.offline":
        moment = dt.datetime.fromisoformat(str(params["occurred_at"]))
        return str(
            _("Recorded offline at %(at)s; sent later.")
            % {"at": timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")}
        )
    if "message" in params:  # a sale participant's note (stock, count cards…), as written
        return str(params["message"])
    engine_reason = pricing.Reason(code=code, params=params)
    if (get_language() or "").lower().startswith("zh"):
        return pricing.render_reason_zh(engine_reason)
    return pricing.render_reason_en(engine_reason)
