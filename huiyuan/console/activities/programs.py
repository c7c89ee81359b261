"""Points tasks (积分任务), manual grants to a group (定向发放), double-points days
(积分翻倍日) and the dry run on history (历史回放)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiyuan.activities import dryrun
from huiyuan.activities.models import Activity, GrantBatch, PointsDay
from huiyuan.activities.services import grants, points_days, rewards
from huiyuan.console.activities.forms import DryRunForm, GrantForm, PointsDayForm, TaskForm
from huiyuan.console.activities.pages import show_error
from huiyuan.console.context import request_actor
from huiyuan.console.views import staff_view
from huiyuan.core.clock import local_today
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm, require
from huiyuan.stores.models import Store


def _segments(actor: Any) -> list[tuple[int, str]]:
    try:
        from huiyuan.segments.selectors import segment_list

        return [(s.pk, s.name) for s in segment_list(actor=actor)[:200]]
    except DomainError:
        return []


@staff_view
def tasks_page(request: HttpRequest) -> HttpResponse:
    """The points tasks and the manual grants (with their progress)."""
    actor = request_actor(request)
    require(actor, Perm.ACTIVITY_VIEW)
    manage = actor.has(Perm.ACTIVITY_MANAGE)
    grant_form = GrantForm(request.POST or None, segments=_segments(actor), prefix="grant")
    if request.method == "POST" and request.POST.get("form") == "task":
        require(actor, Perm.ACTIVITY_MANAGE)
        form = TaskForm(request.POST)
        code = request.POST.get("code", "")
        if form.is_valid():
            try:
                rewards.points_task_set(
                    actor=actor,
                    code=code,
                    points=form.cleaned_data["points"],
                    active=form.cleaned_data["active"],
                )
            except DomainError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("Points task saved."))
        else:
            messages.error(request, _("Give the points, from 0 to 1000000."))
        return redirect("console:activity_tasks")
    if request.method == "POST" and request.POST.get("form") == "grant":
        require(actor, Perm.ACTIVITY_MANAGE)
        if grant_form.is_valid():
            try:
                batch = grants.grant_batch_start(
                    actor=actor,
                    points=grant_form.cleaned_data["points"],
                    reason=grant_form.cleaned_data["reason"],
                    segment_id=grant_form.cleaned_data.get("segment"),
                    member_codes=grant_form.codes(),
                )
            except DomainError as exc:
                show_error(grant_form, exc)
            else:
                messages.success(
                    request, _("Grant started for %(n)s members.") % {"n": batch.total}
                )
                return redirect("console:activity_tasks")
    tasks = [
        (t, TaskForm(initial={"points": t.points, "active": t.active}, prefix=t.code))
        for t in rewards.points_tasks(actor=actor)
    ]
    return render(
        request,
        "console/activities/tasks.html",
        {
            "tasks": tasks,
            "grant_form": grant_form,
            "batches": GrantBatch.objects.order_by("-id")[:20],
            "manage": manage,
            "may_grant": manage and actor.has(Perm.POINTS_ADJUST),
        },
    )


@staff_view
def points_days_page(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.ACTIVITY_VIEW)
    stores = list(Store.objects.order_by("code").values_list("pk", "name"))
    form = PointsDayForm(request.POST or None, stores=stores)
    if request.method == "POST":
        require(actor, Perm.ACTIVITY_MANAGE)
        if form.is_valid():
            d = form.cleaned_data
            try:
                points_days.points_day_save(
                    actor=actor,
                    data=points_days.PointsDayInput(
                        name=d["name"],
                        multiplier_pct=d["multiplier_pct"],
                        dates=d["dates"],
                        weekdays=d["weekdays"],
                        store_ids=[int(s) for s in d["stores"]],
                    ),
                )
            except DomainError as exc:
                show_error(form, exc)
            else:
                messages.success(request, _("Double-points day saved."))
                return redirect("console:points_days")
    names = dict(stores)
    rows = [
        (row, [names.get(s, str(s)) for s in row.store_ids])
        for row in PointsDay.objects.order_by("-id")[:200]
    ]
    return render(
        request,
        "console/activities/points_days.html",
        {"form": form, "rows": rows, "manage": actor.has(Perm.ACTIVITY_MANAGE)},
    )


@staff_view
@require_POST
def points_day_toggle(request: HttpRequest, day_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.ACTIVITY_MANAGE)
    row = PointsDay.objects.filter(pk=day_id).first()
    if row is None:
        raise Http404("not found")
    points_days.points_day_save(
        actor=actor,
        day_id=row.pk,
        data=points_days.PointsDayInput(
            name=row.name,
            multiplier_pct=row.multiplier_pct,
            dates=[dt.date.fromisoformat(d) for d in row.dates],
            weekdays=row.weekdays,
            store_ids=row.store_ids,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            active=not row.active,
        ),
    )
    messages.success(request, _("Double-points day saved."))
    return redirect("console:points_days")


def _subjects() -> list[tuple[str, Any]]:
    from huiyuan.coupons.models import CouponTemplate
    from huiyuan.points.models import EarnRule

    out: list[tuple[str, Any]] = []
    out += [
        (f"activity:{pk}", _("Activity: %(name)s") % {"name": name})
        for pk, name in Activity.objects.filter(kind=Activity.Kind.PAYMENT)
        .order_by("-id")
        .values_list("pk", "name")[:100]
    ]
    out += [
        (f"points_day:{pk}", _("Double-points day: %(name)s") % {"name": name})
        for pk, name in PointsDay.objects.order_by("-id").values_list("pk", "name")[:100]
    ]
    out += [
        (f"earn_rule:{pk}", _("Earn rule: %(name)s v%(v)s") % {"name": name, "v": v})
        for pk, name, v in EarnRule.objects.order_by("code", "-version").values_list(
            "pk", "name", "version"
        )[:100]
    ]
    out += [
        (f"coupon:{pk}", _("Coupon template: %(name)s") % {"name": name})
        for pk, name in CouponTemplate.objects.order_by("-id").values_list("pk", "name")[:100]
    ]
    return out


@staff_view
def dry_run_page(request: HttpRequest) -> HttpResponse:
    """ "What would it have cost last month": replay past sales through a rule, write nothing."""
    actor = request_actor(request)
    require(actor, Perm.ACTIVITY_VIEW)
    first, last = dryrun.last_month(local_today())
    initial = {"date_from": first, "date_to": last, "subject": request.GET.get("subject", "")}
    form = DryRunForm(
        request.GET if "date_from" in request.GET else None, subjects=_subjects(), initial=initial
    )
    result = None
    coupon = None
    if form.is_bound and form.is_valid():
        kind, _sep, raw = form.cleaned_data["subject"].partition(":")
        pk = int(raw)
        d = form.cleaned_data
        try:
            if kind == "coupon":
                from huiyuan.coupons.dryrun import template_dry_run

                coupon = template_dry_run(
                    actor=actor, template_id=pk, date_from=d["date_from"], date_to=d["date_to"]
                )
            elif kind == "activity":
                result = dryrun.activity_dry_run(
                    actor=actor, activity_id=pk, date_from=d["date_from"], date_to=d["date_to"]
                )
            elif kind == "points_day":
                result = dryrun.points_day_dry_run(
                    actor=actor, day_id=pk, date_from=d["date_from"], date_to=d["date_to"]
                )
            else:
                result = dryrun.earn_rule_dry_run(
                    actor=actor, rule_id=pk, date_from=d["date_from"], date_to=d["date_to"]
                )
        except DomainError as exc:
            show_error(form, exc)
    return render(
        request,
        "console/activities/dry_run.html",
        {"form": form, "result": result, "coupon": coupon},
    )
