"""The provider-facing endpoints: notifications (/pay/notify/<provider>/) and the sandbox's
own pay page (/pay/sandbox/<order>/), which stands in for the provider's checkout."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from huiyuan.core.errors import DomainError
from huiyuan.payments.providers import providers_enabled
from huiyuan.payments.providers.base import Incoming
from huiyuan.payments.services import sandbox
from huiyuan.payments.services.notifications import notification_receive

FORM = "application/x-www-form-urlencoded"


@csrf_exempt
@require_POST
def notify(request: HttpRequest, provider: str) -> HttpResponse:
    """A provider's payment notification: verified, checked, booked once; acknowledged."""
    if provider not in providers_enabled():
        raise Http404
    form = request.POST.dict() if request.content_type == FORM else {}
    incoming = Incoming(headers=dict(request.headers), body=request.body, form=form)
    received = notification_receive(provider=provider, incoming=incoming)
    ack = received.acknowledgement
    return HttpResponse(ack.body, status=ack.status, content_type=ack.content_type)


@require_http_methods(["GET", "POST"])
def sandbox_pay(request: HttpRequest, number: str) -> HttpResponse:
    """The sandbox's checkout: the payer presses 支付 (or asks it to notify again)."""
    if "sandbox" not in providers_enabled():
        raise Http404
    try:
        charge = sandbox.sandbox_charge_get(number)
    except DomainError:
        raise Http404 from None
    if request.method == "POST":
        if request.POST.get("action") == "notify":
            sandbox.sandbox_notify_again(number)
            return HttpResponseRedirect(reverse("payments:sandbox_pay", args=[number]))
        charge = sandbox.sandbox_charge_pay(number)
        back = charge.return_url
        if back and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return HttpResponseRedirect(back)
        return HttpResponseRedirect(reverse("payments:sandbox_pay", args=[number]))
    return render(request, "payments/sandbox_pay.html", {"charge": charge})
