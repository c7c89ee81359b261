"""Survey pages (问卷): list, builder, publish and close, distribution, statistics, export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from huiyuan.console.context import request_actor
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.followups.views import stores_of
from huiyuan.console.surveys.forms import (
    DistributionForm,
    QuestionForm,
    SurveyFilterForm,
    SurveyForm,
)
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, NotFound, PermissionDenied
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.segments.selectors import segment_list
from huiyuan.surveys import selectors, services
from huiyuan.surveys.exports import survey_export
from huiyuan.surveys.models import Survey
from huiyuan.surveys.services.distribution import sms_ready
from huiyuan.surveys.tokens import token_make

EXPORT_COLUMNS: tuple[Column[Survey], ...] = (
    Column("#", lambda s: s.pk, "number", 8),
    Column(_l("Survey"), lambda s: s.title, width=28),
    Column(_l("Questions"), lambda s: s.question_count, "number", 10),  # type: ignore[attr-defined]
    Column(_l("Invited"), lambda s: s.invited_count, "number", 10),
    Column(_l("Answers"), lambda s: s.responses_count, "number", 10),
    Column(_l("Status"), lambda s: s.get_status_display(), width=10),
    Column(_l("Created"), lambda s: s.created_at, "moment", 18),
    Column(_l("Published at"), lambda s: s.published_at, "moment", 18),
    Column(_l("Closed at"), lambda s: s.closed_at, "moment", 18),
)


def _survey_or_404(actor: Actor, survey_id: int) -> Survey:
    try:
        return selectors.survey_get(actor=actor, survey_id=survey_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _refusal(request: HttpRequest, exc: DomainError) -> None:
    if isinstance(exc, PermissionDenied):
        raise exc
    messages.error(request, str(exc.message))


def _segments(actor: Actor) -> list[tuple[str, str]]:
    if not actor.has(Perm.SEGMENT_VIEW):
        return []
    return [(str(s.pk), str(s)) for s in segment_list(actor=actor)[:200]]


@staff_view
def survey_list(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    form = SurveyFilterForm(request.GET or None)
    status = form.cleaned_data.get("status") if form.is_valid() else ""
    rows = selectors.survey_list(actor=actor, status=status or "")
    if wants_xlsx(request):
        return xlsx_download(
            name="surveys",
            title=_("Surveys"),
            columns=EXPORT_COLUMNS,
            rows=rows.iterator(chunk_size=1000),
        )
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    create = SurveyForm() if actor.has(Perm.SURVEY_MANAGE) else None
    return render(
        request, "console/surveys/list.html", {"form": form, "page": page, "create": create}
    )


@staff_view
@require_POST
def survey_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.SURVEY_MANAGE)
    form = SurveyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a title."))
        return redirect("console:survey_list")
    try:
        survey = services.survey_create(
            actor=actor,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
        )
    except DomainError as exc:
        _refusal(request, exc)
        return redirect("console:survey_list")
    return redirect("console:survey_detail", survey_id=survey.pk)


def _builder(request: HttpRequest, actor: Actor, survey: Survey, **extra: Any) -> HttpResponse:
    manage = actor.has(Perm.SURVEY_MANAGE)
    context: dict[str, Any] = {
        "survey": survey,
        "questions": selectors.survey_questions(survey),
        "manage": manage,
        "question_form": QuestionForm(initial={"required": True}),
        "survey_form": SurveyForm(
            initial={"title": survey.title, "description": survey.description}
        ),
        "distribution_form": DistributionForm(segments=_segments(actor), sms_ready=sms_ready()),
        "distributions": survey.distributions.order_by("-id")[:10],
        "portal_url": request.build_absolute_uri("/m/surveys/"),
    }
    context.update(extra)
    return render(request, "console/surveys/detail.html", context)


@staff_view
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = request_actor(request)
    return _builder(request, actor, _survey_or_404(actor, survey_id))


@staff_view
@require_POST
def survey_edit(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = request_actor(request)
    survey = _survey_or_404(actor, survey_id)
    form = SurveyForm(request.POST)
    if form.is_valid():
        try:
            services.survey_update(
                actor=actor,
                survey_id=survey.pk,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
            )
        except DomainError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("Saved."))
    return redirect("console:survey_detail", survey_id=survey.pk)


@staff_view
@require_POST
def question_add(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = request_actor(request)
    survey = _survey_or_404(actor, survey_id)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.question_add(
                actor=actor,
                survey_id=survey.pk,
                data=services.QuestionInput(
                    kind=form.cleaned_data["kind"],
                    text=form.cleaned_data["text"],
                    required=form.cleaned_data["required"],
                    choices=form.options(),
                ),
            )
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            form.add_error("choices" if exc.field == "choices" else None, str(exc.message))
        else:
            messages.success(request, _("Question added."))
            return redirect(reverse("console:survey_detail", args=[survey.pk]) + "#questions")
    return _builder(request, actor, survey, question_form=form)


@staff_view
@require_POST
def question_action(request: HttpRequest, survey_id: int, question_id: int) -> HttpResponse:
    actor = request_actor(request)
    survey = _survey_or_404(actor, survey_id)
    action = request.POST.get("action")
    try:
        if action == "up" or action == "down":
            services.question_move(
                actor=actor,
                survey_id=survey.pk,
                question_id=question_id,
                offset=-1 if action == "up" else 1,
            )
        elif action == "delete":
            services.question_delete(actor=actor, survey_id=survey.pk, question_id=question_id)
            messages.success(request, _("Question removed."))
    except DomainError as exc:
        _refusal(request, exc)
    return redirect(reverse("console:survey_detail", args=[survey.pk]) + "#questions")


@staff_view
@require_POST
def survey_status(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = request_actor(request)
    survey = _survey_or_404(actor, survey_id)
    try:
        if request.POST.get("status") == "published":
            services.survey_publish(actor=actor, survey_id=survey.pk)
            messages.success(request, _("Survey published: members can answer it now."))
        elif request.POST.get("status") == "closed":
            services.survey_close(actor=actor, survey_id=survey.pk)
            messages.success(request, _("Survey closed."))
    except DomainError as exc:
        _refusal(request, exc)
    return redirect("console:survey_detail", survey_id=survey.pk)


@staff_view
@require_POST
def survey_distribute(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = request_actor(request)
    survey = _survey_or_404(actor, survey_id)
    form = DistributionForm(request.POST, segments=_segments(actor), sms_ready=sms_ready())
    if form.is_valid():
        segment = form.cleaned_data.get("segment")
        try:
            row = services.survey_distribute(
                actor=actor,
                survey_id=survey.pk,
                target=form.cleaned_data["target"],
                segment_id=int(segment) if segment else None,
                sms=bool(form.cleaned_data.get("sms")),
                link_for=lambda token: request.build_absolute_uri(
                    reverse("portal:surveys:token", args=[token])
                ),
            )
        except DomainError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("%(count)s members invited.") % {"count": row.invited})
    return redirect("console:survey_detail", survey_id=survey.pk)


@staff_view
def survey_stats(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = request_actor(request)
    survey = _survey_or_404(actor, survey_id)
    store_id = request.GET.get("store")
    store = int(store_id) if store_id and store_id.isdigit() else None
    stats = selectors.survey_stats(actor=actor, survey=survey, store_id=store)
    return render(
        request,
        "console/surveys/stats.html",
        {
            "survey": survey,
            "stats": stats,
            "chart": stats.chart_data(),
            "stores": stores_of(actor),
            "store_id": store,
        },
    )


@staff_view
def survey_export_xlsx(request: HttpRequest, survey_id: int) -> FileResponse:
    actor = request_actor(request)
    survey = _survey_or_404(actor, survey_id)
    store_id = request.GET.get("store")
    store = int(store_id) if store_id and store_id.isdigit() else None
    stream = survey_export(actor=actor, survey=survey, store_id=store)
    return FileResponse(stream, as_attachment=True, filename=f"survey-{survey.pk}.xlsx")


@staff_view
def survey_preview_link(request: HttpRequest, survey_id: int) -> HttpResponse:
    """A member's answer link, for staff who send it by hand (member number in ?member=)."""
    actor = request_actor(request)
    require(actor, Perm.SURVEY_MANAGE)
    survey = _survey_or_404(actor, survey_id)
    from huiyuan.members.models import Member

    code = (request.GET.get("member") or "").strip()
    member = Member.objects.filter(code=code).first() if code else None
    link = None
    if member is not None and actor.covers_store(member.home_store_id):
        link = request.build_absolute_uri(
            reverse("portal:surveys:token", args=[token_make(survey.pk, member.pk)])
        )
    elif code:
        messages.error(request, _("No member has this number."))
    return _builder(request, actor, survey, member_link=link, member_code=code)
