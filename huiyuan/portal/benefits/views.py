"""Member portal: 我的权益卡 (docs/portal.md, docs/benefits.md).

The card in force with its privileges (in words and yuan), valid until, the free uses left
this period and its history; the plans on sale to buy (or the member's own plan to renew)
online through the payment provider; a result page that follows the order until the
provider's notification has opened or renewed the card. A member sees only their own cards.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from huiyuan.benefits import selectors
from huiyuan.benefits.models import MemberBenefit
from huiyuan.benefits.rules import terms_of
from huiyuan.core.clock import local_date
from huiyuan.core.errors import NotFound
from huiyuan.payments import selectors as payment_selectors
from huiyuan.payments.models import OnlineOrder, Provider
from huiyuan.payments.providers import providers_enabled
from huiyuan.payments.services.orders import benefit_order_create
from huiyuan.portal.auth import actor_of, member_required
from huiyuan.portal.codeimages import qr_inline
from huiyuan.portal.payer import order_pay
from huiyuan.selfservice import selectors as self_selectors


def _card_view(benefit: MemberBenefit) -> dict[str, object]:
    today = local_date(timezone.now())
    in_force = benefit.status == MemberBenefit.Status.ACTIVE and (
        benefit.valid_until is None or benefit.valid_until >= today
    )
    return {
        "benefit": benefit,
        "in_force": in_force,
        "privileges": selectors.privileges_of(benefit.terms),
        "free": selectors.free_uses_left(benefit, today) if in_force else None,
        "changes": selectors.my_benefit_changes(benefit),
    }


@member_required
def index(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    cards = selectors.my_benefits(actor)
    today = local_date(timezone.now())
    active = next(
        (
            b
            for b in cards
            if b.status == MemberBenefit.Status.ACTIVE
            and (b.valid_until is None or b.valid_until >= today)
        ),
        None,
    )
    own_cards = [
        c.card for c in self_selectors.my_cards(actor) if c.card.member_id == actor.member_id
    ]
    providers = [(p, Provider(p).label) for p in providers_enabled()]
    offers = selectors.plans_on_sale()
    if active is not None:
        # Renew the card held (never a lifetime card); another plan is an upgrade at the counter.
        offers = [
            (p, price) for p, price in offers if p.pk == active.plan_id and active.valid_until
        ]
    error = ""
    if request.method == "POST":
        plan_id = request.POST.get("plan", "")
        provider = request.POST.get("provider", "") or (providers[0][0] if providers else "")

        def create(**where: object) -> OnlineOrder:
            if not own_cards:
                raise NotFound(_("Ask at the counter for a member card first."), code="no_card")
            return benefit_order_create(
                actor=actor,
                card_id=own_cards[0].pk,
                plan_id=int(plan_id) if plan_id.isdigit() else -1,
                provider=provider,
                **where,  # type: ignore[arg-type]
            )

        response, error = order_pay(request, "portal:benefits:result", create)
        if response is not None:
            return response
    return render(
        request,
        "portal/benefits/index.html",
        {
            "active": _card_view(active) if active is not None else None,
            "others": [b for b in cards if b is not active],
            "offers": [(p, price, selectors.privileges_of(terms_of(p))) for p, price in offers],
            "renewing": active is not None,
            "has_card": bool(own_cards),
            "providers": providers,
            "error": error,
        },
    )


@member_required
def detail(request: HttpRequest, benefit_id: int) -> HttpResponse:
    benefit = selectors.my_benefit(actor_of(request), benefit_id)
    return render(request, "portal/benefits/detail.html", _card_view(benefit))


@member_required
def result(request: HttpRequest, number: str) -> HttpResponse:
    order = payment_selectors.member_order_get(actor=actor_of(request), number=number)
    if order.purpose == OnlineOrder.Purpose.RECHARGE:
        raise NotFound(_("Unknown online order."), code="order_not_found")
    pending = order.status == OnlineOrder.Status.PENDING
    benefit = (
        selectors.my_benefit(actor_of(request), order.benefit_id)
        if order.benefit_id is not None
        else None
    )
    return render(
        request,
        "portal/benefits/result.html",
        {
            "order": order,
            "pending": pending,
            "plan": order.benefit_plan,
            "qr": qr_inline(order.qr_content) if pending and order.qr_content else "",
            "card": _card_view(benefit) if benefit is not None else None,
        },
    )
