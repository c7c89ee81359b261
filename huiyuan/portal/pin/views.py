"""Member portal: set or change the payment PIN (W2)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huiyuan.core.errors import DomainError
from huiyuan.payments.models import PinPolicy
from huiyuan.payments.services import pin_set
from huiyuan.payments.services.pin import pin_is_set
from huiyuan.portal.auth import member_required


@member_required
def index(request: HttpRequest) -> HttpResponse:
    actor = request.member_actor  # type: ignore[attr-defined]
    has_pin = pin_is_set(actor.member_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        new_pin = request.POST.get("new_pin", "")
        if new_pin != request.POST.get("confirm_pin", ""):
            errors["confirm_pin"] = _("The two PINs differ.")
        else:
            try:
                pin_set(
                    actor=actor, new_pin=new_pin, current_pin=request.POST.get("current_pin", "")
                )
            except DomainError as exc:
                errors[exc.field or "form"] = str(exc.message)
            else:
                messages.success(
                    request, _("Payment PIN changed.") if has_pin else _("Payment PIN set.")
                )
                return redirect("portal:pin:index")
    return render(
        request,
        "portal/pin/index.html",
        {"has_pin": has_pin, "errors": errors, "policy": PinPolicy.current()},
    )
