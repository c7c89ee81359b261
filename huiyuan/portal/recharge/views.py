"""Member portal: recharge online (W1) — choose an amount or a package, pay through the
provider, then a result page that follows the order until the notification arrives."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from huiyuan.core.errors import DomainError
from huiyuan.core.money import yuan_to_fen
from huiyuan.payments import selectors as payment_selectors
from huiyuan.payments import services as payment_services
from huiyuan.payments.models import OnlineOrder, Provider
from huiyuan.payments.providers import providers_enabled
from huiyuan.portal.auth import member_required
from huiyuan.portal.codeimages import qr_inline
from huiyuan.portal.payer import order_pay
from huiyuan.selfservice import selectors
from huiyuan.wallet.models import RechargePackage, WalletPolicy
from huiyuan.wallet.services import card_limit_fen

POLL_MINUTES = 10


def _own_cards(request: HttpRequest) -> list[selectors.CardBalances]:
    actor = request.member_actor  # type: ignore[attr-defined]
    return [c for c in selectors.my_cards(actor) if c.card.member_id == actor.member_id]


@member_required
def index(request: HttpRequest) -> HttpResponse:
    cards = _own_cards(request)
    packages = list(RechargePackage.objects.filter(is_active=True).order_by("pay_fen"))
    providers = [(p, Provider(p).label) for p in providers_enabled()]
    error = ""
    chosen = {
        "card": request.POST.get("card", ""),
        "package": request.POST.get("package", ""),
        "amount": request.POST.get("amount", ""),
        "provider": request.POST.get("provider", ""),
    }
    if request.method == "POST" and cards:
        card_id = int(chosen["card"]) if chosen["card"].isdigit() else cards[0].card.pk
        package = next((p for p in packages if str(p.pk) == chosen["package"]), None)
        try:
            amount = package.pay_fen if package else yuan_to_fen(chosen["amount"] or "0")
        except DomainError as exc:
            error = str(exc.message)
        else:
            response, error = order_pay(
                request,
                "portal:recharge:result",
                lambda **where: payment_services.online_order_create(
                    actor=request.member_actor,  # type: ignore[attr-defined]
                    card_id=card_id,
                    amount_fen=amount,
                    package_id=package.pk if package else None,
                    provider=chosen["provider"] or (providers[0][0] if providers else ""),
                    **where,
                ),
            )
            if response is not None:
                return response
    policy = WalletPolicy.current()
    return render(
        request,
        "portal/recharge/index.html",
        {
            "cards": cards,
            "packages": packages,
            "providers": providers,
            "error": error,
            "chosen": chosen,
            "limits": [(c, card_limit_fen(c.card, policy)) for c in cards],
        },
    )


@member_required
def result(request: HttpRequest, number: str) -> HttpResponse:
    order = payment_selectors.member_order_get(
        actor=request.member_actor,  # type: ignore[attr-defined]
        number=number,
    )
    pending = order.status == OnlineOrder.Status.PENDING
    return render(
        request,
        "portal/recharge/result.html",
        {
            "order": order,
            "pending": pending,
            "qr": qr_inline(order.qr_content) if pending and order.qr_content else "",
            "card": selectors.my_card(request.member_actor, order.card_id)  # type: ignore[attr-defined]
            if not pending
            else None,
        },
    )
