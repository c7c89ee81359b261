"""Feedback and complaint pages (意见与投诉): list, file, a thread with replies and status."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from huiyuan.console.context import request_actor
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.followups.forms import staff_choices
from huiyuan.console.followups.views import stores_of
from huiyuan.console.surveys.forms import FeedbackFilterForm, FeedbackForm, ReplyForm, StatusForm
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, NotFound, PermissionDenied
from huiyuan.core.permissions import Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.members.models import Member
from huiyuan.surveys import selectors, services
from huiyuan.surveys.models import Feedback, Reply

EXPORT_COLUMNS: tuple[Column[Feedback], ...] = (
    Column(_l("Feedback number"), lambda f: f.pk, "number", 8),
    Column(_l("Filed at"), lambda f: f.created_at, "moment", 18),
    Column(_l("Member number"), lambda f: f.member.code, width=14),
    Column(_l("Member"), lambda f: f.member.name, width=12),
    Column(_l("Category"), lambda f: f.get_category_display(), width=10),
    Column(_l("Store"), lambda f: f.store.name if f.store else "", width=12),
    Column(_l("Status"), lambda f: f.get_status_display(), width=10),
    Column(_l("Handled by"), lambda f: str(f.owner or ""), width=12),
    Column(_l("Content"), lambda f: f.text, width=50),
    Column(_l("Resolved at"), lambda f: f.resolved_at, "moment", 18),
)


@staff_view
def feedback_list(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    form = FeedbackFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    rows = selectors.feedback_list(
        actor=actor, status=f.get("status") or "", category=f.get("category") or ""
    )
    if wants_xlsx(request):
        return xlsx_download(
            name="feedback",
            title=_("Feedback and complaints"),
            columns=EXPORT_COLUMNS,
            rows=rows.iterator(chunk_size=1000),
        )
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "console/surveys/feedback_list.html",
        {"form": form, "page": page, "manage": actor.has(Perm.FEEDBACK_MANAGE)},
    )


@staff_view
def feedback_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.FEEDBACK_MANAGE)
    initial = {}
    member_id = request.GET.get("member")
    if member_id and member_id.isdigit():
        initial["member_code"] = (
            Member.objects.filter(pk=int(member_id)).values_list("code", flat=True).first() or ""
        )
    form = FeedbackForm(request.POST or None, initial=initial, stores=stores_of(actor))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = Member.objects.filter(code=data["member_code"].strip()).first()
        if member is None:
            form.add_error("member_code", _("No member has this number."))
        else:
            try:
                row = services.feedback_file(
                    actor=actor,
                    member_id=member.pk,
                    category=data["category"],
                    text=data["text"],
                    store_id=data["store"].pk if data["store"] else member.home_store_id,
                )
            except DomainError as exc:
                if isinstance(exc, PermissionDenied) and exc.code != "store_forbidden":
                    raise
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Feedback recorded."))
                return redirect("console:feedback_detail", feedback_id=row.pk)
    return render(request, "console/surveys/feedback_form.html", {"form": form})


@staff_view
def feedback_detail(request: HttpRequest, feedback_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        row = selectors.feedback_get(actor=actor, feedback_id=feedback_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_reply(actor=actor, feedback_id=row.pk, text=form.cleaned_data["text"])
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            form.add_error("text", str(exc.message))
        else:
            messages.success(request, _("Reply sent."))
            return redirect("console:feedback_detail", feedback_id=row.pk)
    return render(
        request,
        "console/surveys/feedback_detail.html",
        {
            "row": row,
            "replies": Reply.objects.filter(feedback=row).select_related("staff").order_by("id"),
            "form": form,
            "status_form": StatusForm(initial={"status": row.status}),
            "owners": staff_choices(frozenset({row.store_id})),
            "manage": actor.has(Perm.FEEDBACK_MANAGE),
        },
    )


@staff_view
@require_POST
def feedback_status(request: HttpRequest, feedback_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        if "owner" in request.POST:
            owner = request.POST.get("owner") or ""
            services.feedback_assign(
                actor=actor,
                feedback_id=feedback_id,
                owner_id=int(owner) if owner.isdigit() else None,
            )
            messages.success(request, _("Owner changed."))
        else:
            services.feedback_set_status(
                actor=actor, feedback_id=feedback_id, status=request.POST.get("status") or ""
            )
            messages.success(request, _("Status changed."))
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, str(exc.message))
    return redirect("console:feedback_detail", feedback_id=feedback_id)
