"""Member portal: activate a pre-made card (卡密) by its number and secret code."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huiyuan.core.client import client_ip
from huiyuan.core.errors import DomainError
from huiyuan.portal.auth import member_required
from huiyuan.selfservice.cardactivate import member_card_activate


@member_required
def index(request: HttpRequest) -> HttpResponse:
    actor = request.member_actor  # type: ignore[attr-defined]
    errors: dict[str, str] = {}
    number = request.POST.get("number", "").strip()[:40]
    if request.method == "POST":
        code = request.POST.get("code", "").strip()[:40]
        if not number:
            errors["number"] = _("Type the card number printed on the card.")
        if not code:
            errors["code"] = _("Type the secret code found under the scratch-off panel.")
        if not errors:
            try:
                card = member_card_activate(
                    actor,
                    card_number=number,
                    code=code,
                    idempotency_key=(request.POST.get("key") or uuid.uuid4().hex)[:64],
                    client_address=client_ip(request) or "",
                )
            except DomainError as exc:
                errors["code" if exc.field == "code" else "form"] = str(exc.message)
            else:
                messages.success(
                    request,
                    _("Card %(number)s is activated and now yours.") % {"number": card.number},
                )
                return redirect("portal:card_detail", card_id=card.pk)
    return render(
        request,
        "portal/cardactivate/index.html",
        {"errors": errors, "number": number, "key": uuid.uuid4().hex},
    )
