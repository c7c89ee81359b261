"""Daily check-in pages (签到): settings, and checking a member in at the counter."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from huiyuan.checkin import rules, selectors, services
from huiyuan.checkin.models import CheckinPolicy
from huiyuan.console.context import request_actor
from huiyuan.console.counter.pages import counter_perms, posted_card_text, scan_error
from huiyuan.console.counter.panel import card_panel, find_card
from huiyuan.console.gifts.common import show_error
from huiyuan.console.gifts.forms import CheckinForm, CheckinPolicyForm
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm, require


@staff_view
def checkin_settings(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.POINTS_CONFIGURE)
    policy = CheckinPolicy.current()
    initial = {
        "enabled": policy.enabled,
        "rewards": "\n".join(f"{d}:{p}" for d, p in policy.rewards),
        "cycle_days": policy.cycle_days,
    }
    form = CheckinPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.checkin_policy_update(
                actor=actor,
                enabled=data["enabled"],
                rewards=data["rewards"],
                cycle_days=data["cycle_days"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Check-in settings saved."))
            return redirect("console:checkin_settings")
    preview = [
        (day, rules.points_for(day, policy.rewards, policy.cycle_days)) for day in range(1, 15)
    ]
    return render(
        request,
        "console/gifts/checkin_settings.html",
        {"form": form, "policy": policy, "preview": preview},
    )


@staff_view
def counter_checkin(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.CHECKIN_RECORD)
    form = CheckinForm(request.POST or None, initial={"card": request.GET.get("card", "")})
    card_text = posted_card_text(request)
    found = find_card(actor, card_text) if card_text else None
    panel = card_panel(found)
    if request.method == "POST" and form.is_valid():
        if found is None:
            form.add_error("card", _("No card with this number."))
        else:
            try:
                row = services.checkin_record(
                    actor=actor,
                    card_id=found.card.pk,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except DomainError as exc:
                show_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Checked in: day %(streak)s of the streak, %(points)s points.")
                    % {"streak": row.streak, "points": row.points},
                )
                url = reverse("console:counter_checkin")
                return HttpResponseRedirect(f"{url}?card={found.card.number}")
    member_id = found.card.member_id if found else None
    streak = selectors.member_streak(member_id) if member_id else None
    return render(
        request,
        "console/gifts/checkin.html",
        {
            "form": form,
            "panel": panel,
            "may": counter_perms(actor),
            "streak": streak,
            "scan_error": scan_error(card_text, panel, form),
        },
    )
