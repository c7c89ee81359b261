"""Dry run (our edge): what a coupon template would have cost last month.

Every completed member sale of the period (in the actor's store scope) is priced again
by the engine's coupon step on its stored lines — each line at what it cost after its
promotions and tier rate (``list − discount``), the member's tier by its stored code, the
store and local time of the sale. Each member is assumed to hold ``per_member_limit``
coupons (1 when there is no limit) and to use one on each of their first qualifying
sales, as long as the template's remaining stock lasts. The report: sales looked at, sales that would have used it, members reached,
the discount it would have given, and what those sales came to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from huiyuan import pricing
from huiyuan.checkout.models import Sale
from huiyuan.core.clock import local_day_start, local_today
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.coupons.models import CouponTemplate
from huiyuan.pricing.coupons import CouponLine, apply_coupons, why_not
from huiyuan.stores.scope import stores_in_view

MAX_SALES = 200_000


@dataclass(frozen=True)
class DryRun:
    date_from: dt.date
    date_to: dt.date  # inclusive
    sales_seen: int
    sales_used: int
    members: int
    discount_fen: int
    sales_fen: int


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    first_this = today.replace(day=1)
    last_prev = first_this - dt.timedelta(days=1)
    return last_prev.replace(day=1), last_prev


def _terms(template: CouponTemplate) -> pricing.CouponTerms:
    return pricing.CouponTerms(
        id=0,
        code="DRYRUN",
        name=template.name,
        kind=pricing.CouponKind(template.kind),
        value=template.value,
        min_spend_fen=template.min_spend_fen,
        cap_fen=template.cap_fen,
        gift_product_id=template.gift_product_id,
        category_codes=frozenset(template.category_codes or ()),
        store_ids=frozenset(template.store_ids or ()),
        weekdays=frozenset(template.weekdays or ()),
        tier_codes=frozenset(template.tier_codes or ()),
        group=template.stack_group,
        template_id=template.pk,
        version=template.version,
    )


def template_dry_run(
    *,
    actor: Actor,
    template_id: int,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> DryRun:
    require(actor, Perm.COUPON_VIEW)
    template = CouponTemplate.objects.get(pk=template_id)
    if date_from is None or date_to is None:
        date_from, date_to = last_month(local_today())
    terms = _terms(template)
    sales = Sale.objects.filter(
        created_at__gte=local_day_start(date_from),
        created_at__lt=local_day_start(date_to + dt.timedelta(days=1)),
        status=Sale.Status.COMPLETED,
        member__isnull=False,
    )
    stores = stores_in_view(actor)
    if stores is not None:
        sales = sales.filter(store_id__in=stores)
    limit = template.per_member_limit or 1
    stock = template.stock - template.issued_count if template.stock is not None else None
    used_by: dict[int, int] = {}
    seen = used = discount = sales_fen = 0
    for sale in sales.order_by("created_at", "pk").prefetch_related("lines")[:MAX_SALES]:
        seen += 1
        member_id = sale.member_id
        assert member_id is not None
        if used_by.get(member_id, 0) >= limit or (stock is not None and used >= stock):
            continue
        lines = [
            CouponLine(
                pricing.Line(
                    line_id=line.position,
                    product_id=line.product_id or 0,
                    sku=line.sku,
                    unit_price_fen=line.unit_price_fen,
                    quantity_milli=line.quantity_milli,
                    category_path=tuple(line.category_path or ()),
                    name=line.name,
                    divisible=True,
                ),
                line.quantity_milli,
                line.list_fen - line.discount_fen,
            )
            for line in sale.lines.all()
        ]
        context = pricing.PricingContext(
            store_id=sale.store_id, local_at=timezone.localtime(sale.created_at)
        )
        member = pricing.MemberSnapshot(
            member_id=member_id,
            tier=pricing.TierTerms(code=sale.tier_code) if sale.tier_code else None,
        )
        if not lines or why_not(terms, lines, context, member) is not None:
            continue
        amount = apply_coupons(lines, [terms], context=context, member=member).total_fen
        if amount <= 0:
            continue
        used += 1
        used_by[member_id] = used_by.get(member_id, 0) + 1
        discount += amount
        sales_fen += sale.payable_fen
    return DryRun(
        date_from=date_from,
        date_to=date_to,
        sales_seen=seen,
        sales_used=used,
        members=len(used_by),
        discount_fen=discount,
        sales_fen=sales_fen,
    )
