"""Follow-up pages (回访): my tasks, the queue, overdue per store, a task, the policy."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from huiyuan.console.context import request_actor
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.followups.forms import (
    AssignForm,
    AttemptForm,
    CancelForm,
    FilterForm,
    FollowupForm,
    PolicyForm,
    staff_choices,
)
from huiyuan.console.views import staff_view
from huiyuan.core.clock import local_today
from huiyuan.core.errors import DomainError, NotFound, PermissionDenied
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.followups import selectors, services
from huiyuan.followups.models import Followup, FollowupPolicy
from huiyuan.members.models import Member
from huiyuan.stores.models import Store

PAGE_SIZE = 30
VIEWS = ("mine", "queue", "overdue", "all")
EXPORT_COLUMNS: tuple[Column[Followup], ...] = (
    Column(_l("Member number"), lambda f: f.member.code, width=14),
    Column(_l("Member"), lambda f: f.member.name, width=12),
    Column(_l("Reason"), lambda f: f.get_reason_display(), width=12),
    Column(_l("Store"), lambda f: f.store.name, width=12),
    Column(_l("Assignee"), lambda f: str(f.assignee or ""), width=12),
    Column(_l("Due date"), lambda f: f.due_date, "date", 12),
    Column(_l("Status"), lambda f: f.get_status_display(), width=10),
    Column(_l("Attempts"), lambda f: f.attempts, "number", 8),
    Column(_l("Note"), lambda f: f.note, width=40),
    Column(_l("Created at"), lambda f: f.created_at, "moment", 18),
)


def stores_of(actor: Actor) -> QuerySet[Store]:
    rows = Store.objects.filter(is_active=True).order_by("code")
    return rows if actor.store_ids is None else rows.filter(pk__in=actor.store_ids)


def _show(form: Any, exc: DomainError) -> None:
    if isinstance(exc, PermissionDenied):
        raise exc
    names = {"due_date": "due_date", "assignee_id": "assignee", "store_id": "store"}
    name = names.get(exc.field or "", exc.field or "")
    form.add_error(name if name in form.fields else None, str(exc.message))


@staff_view
def followup_list(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    require(actor, Perm.FOLLOWUP_VIEW)
    view = request.GET.get("view") or "mine"
    if view not in VIEWS:
        view = "mine"
    form = FilterForm(request.GET or None, stores=stores_of(actor))
    f = form.cleaned_data if form.is_valid() else {}
    store = f.get("store")
    store_id = store.pk if store else None
    if view == "mine":
        rows = selectors.followups_mine(actor=actor)
    elif view == "queue":
        rows = selectors.followup_queue(actor=actor, store_id=store_id)
    elif view == "overdue":
        rows = selectors.followup_list(actor=actor, store_id=store_id, overdue=True)
    else:
        rows = selectors.followup_list(
            actor=actor,
            store_id=store_id,
            status=f.get("status") or "",
            reason=f.get("reason") or "",
        )
    if wants_xlsx(request):
        return xlsx_download(
            name="followups",
            title=_("Follow-ups"),
            columns=EXPORT_COLUMNS,
            rows=rows.iterator(chunk_size=1000),
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = {
        "mine": selectors.followups_mine(actor=actor).count(),
        "queue": selectors.followup_queue(actor=actor).count(),
        "overdue": selectors.followup_list(actor=actor, overdue=True).count(),
    }
    return render(
        request,
        "console/followups/list.html",
        {
            "view": view,
            "form": form,
            "page": page,
            "counts": counts,
            "today": local_today(),
            "manage": actor.has(Perm.FOLLOWUP_MANAGE),
            "configure": actor.has(Perm.FOLLOWUP_CONFIGURE),
        },
    )


@staff_view
def followup_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.FOLLOWUP_MANAGE)
    initial: dict[str, Any] = {}
    member_id = request.GET.get("member")
    if member_id and member_id.isdigit():
        code = Member.objects.filter(pk=int(member_id)).values_list("code", flat=True).first()
        initial["member_code"] = code or ""
    form = FollowupForm(
        request.POST or None,
        initial=initial,
        stores=stores_of(actor),
        assignees=staff_choices(actor.store_ids),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = Member.objects.filter(code=data["member_code"].strip()).first()
        if member is None:
            form.add_error("member_code", _("No member has this number."))
        else:
            try:
                task = services.followup_create(
                    actor=actor,
                    data=services.FollowupInput(
                        member_id=member.pk,
                        due_date=data["due_date"],
                        note=data["note"],
                        store_id=data["store"].pk if data["store"] else None,
                        assignee_id=int(data["assignee"]) if data["assignee"] else None,
                    ),
                )
            except DomainError as exc:
                _show(form, exc)
            else:
                messages.success(request, _("Follow-up created."))
                return redirect("console:followup_detail", followup_id=task.pk)
    return render(request, "console/followups/form.html", {"form": form})


def _task_or_404(actor: Actor, followup_id: int) -> Followup:
    try:
        return selectors.followup_get(actor=actor, followup_id=followup_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@staff_view
def followup_detail(request: HttpRequest, followup_id: int) -> HttpResponse:
    actor = request_actor(request)
    task = _task_or_404(actor, followup_id)
    attempt_form = AttemptForm(request.POST or None)
    if request.method == "POST" and attempt_form.is_valid():
        data = attempt_form.cleaned_data
        try:
            services.followup_log(
                actor=actor,
                followup_id=task.pk,
                outcome=data["outcome"],
                note=data["note"],
                next_due_date=data["next_due_date"],
            )
        except DomainError as exc:
            _show(attempt_form, exc)
        else:
            messages.success(request, _("Outcome recorded."))
            return redirect("console:followup_detail", followup_id=task.pk)
    mine = actor.staff is not None and task.assignee_id == actor.staff.pk
    return render(
        request,
        "console/followups/detail.html",
        {
            "task": task,
            "attempts": selectors.followup_attempts(followup=task),
            "attempt_form": attempt_form,
            "assign_form": AssignForm(
                initial={"assignee": task.assignee_id or ""},
                assignees=staff_choices(frozenset({task.store_id})),
            ),
            "cancel_form": CancelForm(),
            "may_log": task.is_open
            and actor.has(Perm.FOLLOWUP_WORK)
            and (task.assignee_id is None or mine or actor.has(Perm.FOLLOWUP_MANAGE)),
            "may_take": task.is_open and task.assignee_id is None and actor.has(Perm.FOLLOWUP_WORK),
            "manage": task.is_open and actor.has(Perm.FOLLOWUP_MANAGE),
            "today": local_today(),
        },
    )


@staff_view
@require_POST
def followup_take(request: HttpRequest, followup_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        services.followup_take(actor=actor, followup_id=followup_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The task is yours."))
    return redirect("console:followup_detail", followup_id=followup_id)


@staff_view
@require_POST
def followup_assign(request: HttpRequest, followup_id: int) -> HttpResponse:
    actor = request_actor(request)
    task = _task_or_404(actor, followup_id)
    form = AssignForm(request.POST, assignees=staff_choices(frozenset({task.store_id})))
    if form.is_valid():
        value = form.cleaned_data["assignee"]
        try:
            services.followup_assign(
                actor=actor, followup_id=task.pk, assignee_id=int(value) if value else None
            )
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Assignee changed."))
    return redirect("console:followup_detail", followup_id=task.pk)


@staff_view
@require_POST
def followup_cancel(request: HttpRequest, followup_id: int) -> HttpResponse:
    actor = request_actor(request)
    task = _task_or_404(actor, followup_id)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.followup_cancel(actor=actor, followup_id=task.pk, note=reason)
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Follow-up cancelled."))
    return redirect("console:followup_detail", followup_id=task.pk)


@staff_view
def followup_settings(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.FOLLOWUP_CONFIGURE)
    policy = FollowupPolicy.current()
    fields = list(PolicyForm.base_fields)
    form = PolicyForm(request.POST or None, initial={f: getattr(policy, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(actor=actor, data=services.PolicyInput(**form.cleaned_data))
        except DomainError as exc:
            _show(form, exc)
        else:
            messages.success(request, _("Follow-up settings saved."))
            return redirect("console:followup_settings")
    return render(request, "console/followups/settings.html", {"form": form})
