"""Activity pages (会员活动): the list, create and change, the detail with its statistics,
sign-ups and notices; publish, end, cancel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from huiyuan.activities import selectors, services
from huiyuan.activities.models import Activity, Signup
from huiyuan.console.activities.forms import ActivityForm, ActivitySearchForm, CancelForm
from huiyuan.console.context import request_actor
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, NotFound, PermissionDenied
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.members.models import Member
from huiyuan.stores.models import Store

FIELDS = {
    "fee_fen": "fee",
    "threshold_fen": "threshold",
    "coupon_template_id": "coupon_template",
    "store_ids": "stores",
}

SignupRow = tuple[Signup, str, str]  # the sign-up, the member's name and number


def _activity_columns(stores: dict[int, str]) -> tuple[Column[Activity], ...]:
    """The list's columns; ``stores`` names the stores an activity is limited to."""

    def where(a: Activity) -> str:
        if not a.store_ids:
            return str(_l("Every store"))
        return "、".join(stores.get(pk, str(pk)) for pk in a.store_ids)

    return (
        Column(_l("Activity"), lambda a: a.name, width=24),
        Column(_l("Code"), lambda a: a.code, width=16),
        Column(_l("Kind"), lambda a: a.get_kind_display(), width=14),
        Column(_l("Starts at"), lambda a: a.starts_at, "moment", 18),
        Column(_l("Ends at"), lambda a: a.ends_at, "moment", 18),
        Column(
            _l("Seats taken"), lambda a: a.seats_taken if a.kind == "signup" else None, "number", 10
        ),
        Column(_l("Seats"), lambda a: a.capacity if a.kind == "signup" else None, "number", 8),
        Column(_l("Sign-up fee"), lambda a: a.fee_fen or None, "money", 10),
        Column(_l("Stores"), where, width=18),
        Column(_l("Status"), lambda a: a.get_status_display(), width=10),
    )


SIGNUP_COLUMNS: tuple[Column[SignupRow], ...] = (
    Column(_l("Member number"), lambda r: r[2], width=14),
    Column(_l("Member"), lambda r: r[1], width=12),
    Column(_l("Status"), lambda r: r[0].get_status_display(), width=10),
    Column(_l("Sign-up fee"), lambda r: r[0].fee_fen, "money", 10),
    Column(_l("Fee refunded"), lambda r: r[0].refund_fen or None, "money", 10),
    Column(_l("Signed up at"), lambda r: r[0].created_at, "moment", 18),
    Column(_l("Attended at"), lambda r: r[0].attended_at, "moment", 18),
    Column(_l("Cancel reason"), lambda r: r[0].cancel_reason, width=20),
)


def show_error(form: Any, exc: DomainError) -> None:
    if isinstance(exc, PermissionDenied):
        raise exc
    name = FIELDS.get(exc.field or "", exc.field or "")
    form.add_error(name if name in form.fields else None, str(exc.message))


def _get(actor: Actor, activity_id: int) -> Activity:
    try:
        return selectors.activity_get(actor=actor, activity_id=activity_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _choices() -> dict[str, Any]:
    from huiyuan.coupons.models import CouponTemplate

    stores = list(Store.objects.order_by("code").values_list("pk", "name"))
    templates = list(
        CouponTemplate.objects.filter(status="active")
        .order_by("-id")
        .values_list("pk", "name")[:200]
    )
    return {"stores": stores, "templates": templates}


def _input(kind: str, data: dict[str, Any]) -> services.ActivityInput:
    return services.ActivityInput(
        code=data["code"],
        name=data["name"],
        kind=kind,
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        location=data.get("location") or "",
        description=data.get("description") or "",
        store_ids=[int(s) for s in data.get("stores") or []],
        capacity=data.get("capacity") or 0,
        fee_fen=data.get("fee") or 0,
        refund_rule=data.get("refund_rule") or Activity.Refund.FULL,
        refund_hours=data.get("refund_hours") or 0,
        threshold_fen=data.get("threshold") or 0,
        reward_kind=data.get("reward_kind") or "",
        reward_points=data.get("reward_points") or 0,
        coupon_template_id=data.get("coupon_template"),
        budget=data.get("budget"),
        occasion=data.get("occasion") or "",
        holiday_date=data.get("holiday_date"),
    )


@staff_view
def activity_list(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    form = ActivitySearchForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    rows = selectors.activity_list(
        actor=actor, kind=f.get("kind") or "", status=f.get("status") or "", q=f.get("q") or ""
    )
    if wants_xlsx(request):
        return xlsx_download(
            name="activities",
            title=_("Activities"),
            columns=_activity_columns(dict(Store.objects.values_list("pk", "name"))),
            rows=rows,
        )
    return render(
        request,
        "console/activities/list.html",
        {
            "form": form,
            "rows": rows,
            "manage": actor.has(Perm.ACTIVITY_MANAGE),
            "kinds": Activity.Kind.choices,
        },
    )


@staff_view
def activity_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.ACTIVITY_MANAGE)
    kind = request.GET.get("kind") or request.POST.get("kind") or Activity.Kind.SIGNUP
    if kind not in Activity.Kind.values:
        raise Http404("unknown kind")
    start = timezone.localtime(timezone.now() + dt.timedelta(days=7)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    initial = {
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "refund_rule": Activity.Refund.FULL,
        "refund_hours": 24,
        "capacity": 20,
    }
    form = ActivityForm(request.POST or None, kind=kind, initial=initial, **_choices())
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(
                actor=actor,
                data=_input(kind, form.cleaned_data),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(
                request, _("Activity %(name)s saved as a draft.") % {"name": activity.name}
            )
            return redirect("console:activity_detail", activity_id=activity.pk)
    return render(
        request,
        "console/activities/form.html",
        {"form": form, "activity": None, "kind": kind, "kind_label": Activity.Kind(kind).label},
    )


@staff_view
def activity_edit(request: HttpRequest, activity_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.ACTIVITY_MANAGE)
    activity = _get(actor, activity_id)
    initial = {
        "code": activity.code,
        "name": activity.name,
        "starts_at": timezone.localtime(activity.starts_at),
        "ends_at": timezone.localtime(activity.ends_at),
        "location": activity.location,
        "description": activity.description,
        "stores": [str(s) for s in activity.store_ids],
        "capacity": activity.capacity,
        "fee": fen_to_yuan_str(activity.fee_fen).lstrip("¥").replace(",", "")
        if activity.fee_fen
        else "",
        "refund_rule": activity.refund_rule,
        "refund_hours": activity.refund_hours,
        "threshold": fen_to_yuan_str(activity.threshold_fen).lstrip("¥").replace(",", "")
        if activity.threshold_fen
        else "",
        "reward_kind": activity.reward_kind,
        "reward_points": activity.reward_points or None,
        "coupon_template": activity.coupon_template_id,
        "budget": activity.budget,
        "occasion": activity.occasion,
        "holiday_date": activity.holiday_date,
    }
    form = ActivityForm(request.POST or None, kind=activity.kind, initial=initial, **_choices())
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(
                actor=actor,
                activity_id=activity.pk,
                data=_input(activity.kind, form.cleaned_data),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Activity saved."))
            return redirect("console:activity_detail", activity_id=activity.pk)
    return render(
        request,
        "console/activities/form.html",
        {
            "form": form,
            "activity": activity,
            "kind": activity.kind,
            "kind_label": activity.get_kind_display(),
        },
    )


@staff_view
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    activity = _get(actor, activity_id)
    signups = selectors.signups_of(actor=actor, activity_id=activity.pk)
    names = dict(
        Member.objects.filter(pk__in={s.member_id for s in signups}).values_list("pk", "name")
    )
    codes = dict(
        Member.objects.filter(pk__in={s.member_id for s in signups}).values_list("pk", "code")
    )
    rows = [(s, names.get(s.member_id, ""), codes.get(s.member_id, "")) for s in signups]
    if wants_xlsx(request):
        return xlsx_download(
            name=f"activity-{activity.code}",
            title=activity.name,
            columns=SIGNUP_COLUMNS,
            rows=rows,
        )
    now = timezone.now()
    return render(
        request,
        "console/activities/detail.html",
        {
            "activity": activity,
            "stats": selectors.activity_stats(actor=actor, activity_id=activity.pk),
            "rows": rows,
            "notices": selectors.notices_of(actor=actor, activity_id=activity.pk),
            "manage": actor.has(Perm.ACTIVITY_MANAGE),
            "counter": actor.has(Perm.ACTIVITY_SIGNUP),
            "cancel_form": CancelForm(),
            "open_for_signup": activity.status == Activity.Status.PUBLISHED
            and now < activity.starts_at,
            "attend_open": activity.status == Activity.Status.PUBLISHED
            and activity.starts_at - dt.timedelta(hours=2) <= now < activity.ends_at,
            "cancellable": (Signup.Status.SEATED, Signup.Status.WAITLISTED),
        },
    )


def _act(request: HttpRequest, activity_id: int, work: Any, done: str) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.ACTIVITY_MANAGE)
    _get(actor, activity_id)
    try:
        work(actor)
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return redirect("console:activity_detail", activity_id=activity_id)


@staff_view
@require_POST
def activity_publish(request: HttpRequest, activity_id: int) -> HttpResponse:
    return _act(
        request,
        activity_id,
        lambda actor: services.activity_publish(actor=actor, activity_id=activity_id),
        _("Activity published."),
    )


@staff_view
@require_POST
def activity_end(request: HttpRequest, activity_id: int) -> HttpResponse:
    return _act(
        request,
        activity_id,
        lambda actor: services.activity_end(actor=actor, activity_id=activity_id),
        _("Activity ended; the waiting list was released."),
    )


@staff_view
@require_POST
def activity_cancel(request: HttpRequest, activity_id: int) -> HttpResponse:
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        activity_id,
        lambda actor: services.activity_cancel(actor=actor, activity_id=activity_id, reason=reason),
        _("Activity cancelled; participants were told and refunded."),
    )
