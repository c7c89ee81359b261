"""Member portal: surveys to answer (signed in, or through a personal link) and feedback."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.members.models import Member
from huiyuan.portal.auth import member_required
from huiyuan.stores.models import Store
from huiyuan.surveys import selectors, services
from huiyuan.surveys.models import Feedback, Invitation, Question, Response, Survey
from huiyuan.surveys.services.answering import survey_open_for
from huiyuan.surveys.tokens import token_read


def _answers(post: QueryDict, questions: list[Question]) -> list[services.AnswerInput]:
    """The form's fields (``q<id>``) as answers; what does not parse is left for the
    service to refuse."""
    out = []
    for q in questions:
        name = f"q{q.pk}"
        if q.kind in Question.CHOICE_KINDS:
            picked = [int(v) for v in post.getlist(name) if v.isdigit()]
            out.append(services.AnswerInput(question_id=q.pk, choices=picked))
        elif q.kind == Question.Kind.RATING:
            value = post.get(name, "")
            out.append(
                services.AnswerInput(
                    question_id=q.pk, rating=int(value) if value.isdigit() else None
                )
            )
        else:
            out.append(services.AnswerInput(question_id=q.pk, text=post.get(name, "")))
    return out


def _answer_page(
    request: HttpRequest, survey: Survey, member: Member, channel: str, signed_in: bool
) -> HttpResponse:
    questions = selectors.survey_questions(survey)
    if services.survey_answered(survey_id=survey.pk, member_id=member.pk):
        return render(
            request,
            "portal/surveys/thanks.html",
            {"survey": survey, "already": True, "signed_in": signed_in},
        )
    error, error_question = "", None
    if request.method == "POST":
        try:
            services.survey_answer(
                survey_id=survey.pk,
                member_id=member.pk,
                answers=_answers(request.POST, questions),
                channel=channel,
            )
        except ValidationFailed as exc:
            error, error_question = str(exc.message), exc.details.get("question_id")
        except Conflict:
            pass  # answered meanwhile (another tab): thank them all the same
        else:
            return render(
                request,
                "portal/surveys/thanks.html",
                {"survey": survey, "already": False, "signed_in": signed_in},
            )
    if request.method == "POST":  # keep what they chose when the page comes back
        for q in questions:
            q.chosen = set(request.POST.getlist(f"q{q.pk}"))  # type: ignore[attr-defined]
            q.typed = request.POST.get(f"q{q.pk}", "")  # type: ignore[attr-defined]
    return render(
        request,
        "portal/surveys/answer.html",
        {
            "survey": survey,
            "questions": questions,
            "error": error,
            "error_question": error_question,
            "signed_in": signed_in,
            "ratings": ["1", "2", "3", "4", "5"],
        },
    )


@member_required
def index(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    invitations = selectors.member_invitations(member_id=member.pk)
    answered = set(
        Response.objects.filter(
            member=member, survey_id__in=[i.survey_id for i in invitations]
        ).values_list("survey_id", flat=True)
    )
    return render(
        request,
        "portal/surveys/index.html",
        {
            "invitations": invitations,
            "answered": answered,
            "feedback": selectors.member_feedback(member_id=member.pk),
        },
    )


@member_required
def answer(request: HttpRequest, survey_id: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    if not Invitation.objects.filter(survey_id=survey_id, member=member).exists():
        raise NotFound(_("Not found."))
    try:
        survey = survey_open_for(survey_id)
    except Conflict:
        return render(request, "portal/surveys/closed.html", status=410)
    return _answer_page(request, survey, member, Response.Channel.PORTAL, signed_in=True)


def answer_by_token(request: HttpRequest, token: str) -> HttpResponse:
    """The personal link: no sign-in; the signed token names the survey and the member."""
    try:
        survey_id, member_id = token_read(token)
        survey = survey_open_for(survey_id)
    except NotFound:
        return render(request, "portal/not_found.html", status=404)
    except Conflict:
        return render(request, "portal/surveys/closed.html", status=410)
    member = Member.objects.filter(pk=member_id, status=Member.Status.ACTIVE).first()
    if member is None:
        return render(request, "portal/not_found.html", status=404)
    return _answer_page(request, survey, member, Response.Channel.LINK, signed_in=False)


@member_required
def feedback_new(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    stores = Store.objects.filter(is_active=True).order_by("code")
    error = ""
    if request.method == "POST":
        store = request.POST.get("store", "")
        try:
            row = services.feedback_file_by_member(
                member_id=member.pk,
                category=request.POST.get("category", ""),
                text=request.POST.get("text", ""),
                store_id=int(store) if store.isdigit() else None,
            )
        except ValidationFailed as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("Thank you. We will get back to you soon."))
            return redirect("portal:surveys:feedback_detail", feedback_id=row.pk)
    return render(
        request,
        "portal/surveys/feedback_new.html",
        {
            "stores": stores,
            "categories": Feedback.Category.choices,
            "error": error,
            "posted": request.POST if request.method == "POST" else None,
            "home_store_id": member.home_store_id,
        },
    )


@member_required
def feedback_detail(request: HttpRequest, feedback_id: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    row = Feedback.objects.filter(pk=feedback_id, member=member).select_related("store").first()
    if row is None:
        raise NotFound(_("Not found."))
    error = ""
    if request.method == "POST":
        try:
            services.feedback_reply_by_member(
                member_id=member.pk, feedback_id=row.pk, text=request.POST.get("text", "")
            )
        except ValidationFailed as exc:
            error = str(exc.message)
        else:
            return redirect("portal:surveys:feedback_detail", feedback_id=row.pk)
    return render(
        request,
        "portal/surveys/feedback_detail.html",
        {"row": row, "replies": row.replies.order_by("id"), "error": error},
    )
