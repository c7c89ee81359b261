"""Online recharge orders (在线充值订单) for the stores in scope, and the payment-PIN policy."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huiyuan.console.context import request_actor
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, NotFound, PermissionDenied
from huiyuan.core.money import yuan_to_fen
from huiyuan.core.permissions import Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.payments import selectors, services
from huiyuan.payments.models import OnlineOrder, PinPolicy, Provider

EXPORT_COLUMNS: tuple[Column[OnlineOrder], ...] = (
    Column(gettext_lazy("Order number"), lambda o: o.number, width=24),
    Column(gettext_lazy("Time"), lambda o: o.created_at, "moment", 17),
    Column(gettext_lazy("Card"), lambda o: o.card.number, width=20),
    Column(gettext_lazy("Store"), lambda o: o.store.name, width=18),
    Column(gettext_lazy("Provider"), lambda o: o.get_provider_display()),
    Column(gettext_lazy("Amount"), lambda o: o.amount_fen, "money"),
    Column(gettext_lazy("Bonus"), lambda o: o.bonus_fen, "money"),
    Column(gettext_lazy("Status"), lambda o: o.get_status_display()),
)


@staff_view
def order_list(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    status = request.GET.get("status", "")
    if status not in OnlineOrder.Status.values:
        status = ""
    provider = request.GET.get("provider", "")
    if provider not in Provider.values:
        provider = ""
    number = request.GET.get("number", "").strip()[:32]
    rows = selectors.order_list(actor=actor, status=status, provider=provider, number=number)
    if wants_xlsx(request):
        return xlsx_download(
            name="online-recharges",
            title=_("Online recharges"),
            columns=EXPORT_COLUMNS,
            rows=rows.iterator(chunk_size=1000),
        )
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "console/payments/orders.html",
        {
            "page": page,
            "status": status,
            "provider": provider,
            "number": number,
            "statuses": OnlineOrder.Status.choices,
            "providers": Provider.choices,
        },
    )


@staff_view
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        order = selectors.order_get(actor=actor, order_id=order_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return render(
        request,
        "console/payments/order_detail.html",
        {"order": order, "notifications": selectors.order_notifications(order)},
    )


class PinPolicyForm(forms.Form):
    threshold = forms.CharField(
        label=gettext_lazy("Ask for the PIN from (¥)"),
        max_length=12,
        help_text=gettext_lazy(
            "A payment from stored value of at least this amount needs the member's PIN "
            "(0: every payment from stored value). Members who have not set a PIN are not asked."
        ),
    )
    max_failures = forms.IntegerField(
        label=gettext_lazy("Wrong PINs before it locks"), min_value=1, max_value=20
    )
    lockout_minutes = forms.IntegerField(
        label=gettext_lazy("Locked for (minutes)"), min_value=1, max_value=24 * 60
    )

    def clean_threshold(self) -> int:
        try:
            fen = yuan_to_fen(self.cleaned_data["threshold"])
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc
        if fen < 0:
            raise forms.ValidationError(_("Enter an amount of zero or more."))
        return fen


@staff_view
def pin_policy(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.WALLET_CONFIGURE)
    policy = PinPolicy.current()
    initial = {
        "threshold": f"{policy.threshold_fen / 100:.2f}",
        "max_failures": policy.max_failures,
        "lockout_minutes": policy.lockout_minutes,
    }
    form = PinPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.pin_policy_update(
                actor=actor,
                threshold_fen=data["threshold"],
                max_failures=data["max_failures"],
                lockout_minutes=data["lockout_minutes"],
            )
        except PermissionDenied:
            raise
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Payment PIN settings saved."))
            return redirect("console:payment_pin_policy")
    return render(request, "console/payments/pin_policy.html", {"form": form, "policy": policy})
