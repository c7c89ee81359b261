"""At the counter: sign a member up for an activity (报名) or claim its coupon (领券),
cancel a sign-up, check attendance in (到场签到)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiyuan.activities import services
from huiyuan.activities.models import Activity, Signup
from huiyuan.activities.services.rewards import activity_claim
from huiyuan.console.activities.forms import CounterForm
from huiyuan.console.activities.pages import _get, show_error
from huiyuan.console.context import request_actor
from huiyuan.console.counter.forms import new_key
from huiyuan.console.counter.pages import counter_perms, posted_card_text, scan_error
from huiyuan.console.counter.panel import card_panel, find_card
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, PermissionDenied
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm, require


@staff_view
def activity_counter(request: HttpRequest, activity_id: int) -> HttpResponse:
    """Scan the member's card, then sign them up (sign-up activity) or claim (claim activity)."""
    actor = request_actor(request)
    require(actor, Perm.ACTIVITY_SIGNUP)
    activity = _get(actor, activity_id)
    form = CounterForm(request.POST or None, initial={"card": request.GET.get("card", "")})
    card_text = posted_card_text(request)
    found = find_card(actor, card_text) if card_text else None
    panel = card_panel(found)
    existing = None
    if found is not None and found.card.member_id:
        existing = (
            Signup.objects.filter(
                activity=activity, member_id=found.card.member_id, status__in=Signup.LIVE
            )
            .order_by("-id")
            .first()
        )
    if request.method == "POST" and form.is_valid():
        if found is None:
            form.add_error("card", _("No card with this number."))
        else:
            try:
                if activity.kind == Activity.Kind.CLAIM:
                    activity_claim(
                        actor=actor,
                        activity_id=activity.pk,
                        card_id=found.card.pk,
                        idempotency_key=form.cleaned_data["idempotency_key"],
                    )
                    done = _("Coupon claimed.")
                else:
                    row = services.signup_create(
                        actor=actor,
                        activity_id=activity.pk,
                        card_id=found.card.pk,
                        idempotency_key=form.cleaned_data["idempotency_key"],
                    )
                    done = (
                        _("Signed up: a seat is held.")
                        if row.status == Signup.Status.SEATED
                        else _("The activity is full: the member is on the waiting list.")
                    )
                    if row.fee_fen:
                        done += " " + _("Fee %(fee)s paid from stored value.") % {
                            "fee": fen_to_yuan_str(row.fee_fen)
                        }
            except DomainError as exc:
                show_error(form, exc)
            else:
                messages.success(request, done)
                url = reverse("console:activity_counter", args=[activity.pk])
                return HttpResponseRedirect(f"{url}?card={found.card.number}")
    return render(
        request,
        "console/activities/counter.html",
        {
            "activity": activity,
            "form": form,
            "panel": panel,
            "may": counter_perms(actor),
            "existing": existing,
            "scan_error": scan_error(card_text, panel, form),
        },
    )


def _signup_action(request: HttpRequest, signup_id: int, work, done: str) -> HttpResponse:  # type: ignore[no-untyped-def]
    actor = request_actor(request)
    require(actor, Perm.ACTIVITY_SIGNUP)
    row = Signup.objects.filter(pk=signup_id).values_list("activity_id", flat=True).first()
    if row is None:
        from django.http import Http404

        raise Http404("sign-up not found")
    try:
        work(actor)
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    back = request.POST.get("next") or ""
    if back.startswith("/") and not back.startswith("//"):
        return HttpResponseRedirect(back)
    return redirect("console:activity_detail", activity_id=row)


@staff_view
@require_POST
def signup_cancel(request: HttpRequest, signup_id: int) -> HttpResponse:
    key = request.POST.get("idempotency_key") or new_key()
    return _signup_action(
        request,
        signup_id,
        lambda actor: services.signup_cancel(
            actor=actor,
            signup_id=signup_id,
            reason=request.POST.get("reason", "")[:200],
            idempotency_key=key,
        ),
        _("Sign-up cancelled; the fee follows the refund rule."),
    )


@staff_view
@require_POST
def signup_attend(request: HttpRequest, signup_id: int) -> HttpResponse:
    return _signup_action(
        request,
        signup_id,
        lambda actor: services.signup_attend(actor=actor, signup_id=signup_id),
        _("Attendance checked in."),
    )
