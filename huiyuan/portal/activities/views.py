"""Member portal: activities open for sign-up, signing up (the fee from the member's
stored value), my sign-ups, cancelling by the activity's refund rule."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiyuan.activities import selectors, services
from huiyuan.activities.models import Activity, Signup
from huiyuan.activities.services.rewards import member_card
from huiyuan.activities.services.signups import refund_due
from huiyuan.core.errors import DomainError, PermissionDenied
from huiyuan.portal.auth import member_required
from huiyuan.selfservice.actor import audit_actor, own


def _open_activities(member_store_id: int | None) -> list[Activity]:
    now = timezone.now()
    rows = Activity.objects.filter(
        kind=Activity.Kind.SIGNUP, status=Activity.Status.PUBLISHED, starts_at__gt=now
    ).order_by("starts_at")[:50]
    return [a for a in rows if not a.store_ids or member_store_id in a.store_ids]


@member_required
def index(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    card = member_card(member.pk)
    mine = selectors.member_signups(member_id=member.pk)
    live = {s.activity_id: s for s in mine if s.status in Signup.LIVE}
    return render(
        request,
        "portal/activities/index.html",
        {
            "activities": [
                (a, live.get(a.pk)) for a in _open_activities(card.store_id if card else None)
            ],
            "mine": mine,
        },
    )


def _own_activity(request: HttpRequest, activity_id: int) -> Activity:
    activity = (
        Activity.objects.filter(pk=activity_id, kind=Activity.Kind.SIGNUP)
        .exclude(status=Activity.Status.DRAFT)
        .first()
    )
    if activity is None:
        raise Http404(_("Not found."))
    return activity


@member_required
def detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    activity = _own_activity(request, activity_id)
    signup = Signup.objects.filter(activity=activity, member_id=member.pk).order_by("-id").first()
    now = timezone.now()
    return render(
        request,
        "portal/activities/detail.html",
        {
            "activity": activity,
            "signup": signup,
            "card": member_card(member.pk),
            "key": uuid.uuid4().hex,
            "open": activity.status == Activity.Status.PUBLISHED and now < activity.starts_at,
            "refund_now": refund_due(activity, signup, now) if signup else 0,
        },
    )


@member_required
@require_POST
def signup(request: HttpRequest, activity_id: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    activity = _own_activity(request, activity_id)
    card = member_card(member.pk)
    if card is None:
        messages.error(request, _("You need a membership card to sign up."))
        return redirect("portal:activities:detail", activity_id=activity.pk)
    own(request.member_actor, card.member_id)  # type: ignore[attr-defined]
    key = (request.POST.get("key") or uuid.uuid4().hex)[:64]
    try:
        row = services.signup_create(
            actor=audit_actor(member.pk, store_id=card.store_id),
            activity_id=activity.pk,
            card_id=card.pk,
            channel="portal",
            idempotency_key=f"portal-{member.pk}-{key}",
        )
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("You are signed up.")
            if row.status == Signup.Status.SEATED
            else _("The activity is full: you are on the waiting list."),
        )
    return redirect("portal:activities:detail", activity_id=activity.pk)


@member_required
@require_POST
def cancel(request: HttpRequest, signup_id: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    row = Signup.objects.filter(pk=signup_id).first()
    if row is None:
        raise Http404(_("Not found."))
    own(request.member_actor, row.member_id)  # type: ignore[attr-defined]
    try:
        services.signup_cancel(
            actor=audit_actor(member.pk, store_id=row.store_id),
            signup_id=row.pk,
            reason=_("Cancelled by the member"),
            idempotency_key=f"portal-cancel-{row.pk}",
        )
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your sign-up is cancelled."))
    return redirect("portal:activities:detail", activity_id=row.activity_id)
