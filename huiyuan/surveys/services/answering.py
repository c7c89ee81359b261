"""A member answers a published survey, once (portal or signed link).

The answers are checked against the questions (required ones present, option indexes in
range, one option for a single choice, a rating from 1 to 5) before anything is written;
the response and its answers are written in one transaction. A second answer by the same
member is refused by the unique (survey, member) row, even when two arrive together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.members.models import Member
from huiyuan.surveys.models import Answer, Question, Response, Survey

MAX_TEXT = 1000


@dataclass(frozen=True)
class AnswerInput:
    question_id: int
    choices: list[int] = field(default_factory=list)
    rating: int | None = None
    text: str = ""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _blank(a: AnswerInput | None) -> bool:
    return a is None or (not a.choices and a.rating is None and not (a.text or "").strip())


def _bad(question: Question, message: str | Promise, code: str) -> ValidationFailed:
    return ValidationFailed(
        message, code=code, field=f"q{question.pk}", details={"question_id": question.pk}
    )


def _check(question: Question, a: AnswerInput) -> Answer:
    """The answer row for one question (unsaved), or a refusal naming the question."""
    if question.kind in Question.CHOICE_KINDS:
        picked = a.choices or []
        if not all(_is_int(i) and 0 <= i < len(question.choices) for i in picked):
            raise _bad(question, _("Choose among the options given."), "invalid_choice")
        if len(set(picked)) != len(picked):
            raise _bad(question, _("Choose each option once."), "invalid_choice")
        if question.kind == Question.Kind.SINGLE and len(picked) != 1:
            raise _bad(question, _("Choose one option."), "single_choice_only")
        return Answer(question=question, choices=sorted(picked))
    if question.kind == Question.Kind.RATING:
        if not _is_int(a.rating) or not 1 <= a.rating <= 5:  # type: ignore[operator]
            raise _bad(question, _("Give a rating from 1 to 5."), "invalid_rating")
        return Answer(question=question, rating=a.rating)
    text = (a.text or "").strip()
    if len(text) > MAX_TEXT:
        raise _bad(question, _("An answer may be at most 1,000 characters."), "text_too_long")
    return Answer(question=question, text=text)


def survey_open_for(survey_id: int) -> Survey:
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None or survey.status == Survey.Status.DRAFT:
        raise NotFound(_("Survey not found."), code="survey_not_found")
    if survey.status != Survey.Status.PUBLISHED:
        raise Conflict(_("This survey has closed."), code="survey_closed")
    return survey


def survey_answer(
    *, survey_id: int, member_id: int, answers: list[AnswerInput], channel: str
) -> Response:
    """Record a member's answers to a published survey (once per member)."""
    survey = survey_open_for(survey_id)
    member = Member.objects.filter(pk=member_id, status=Member.Status.ACTIVE).first()
    if member is None:
        raise NotFound(_("Member not found."), code="member_not_found")
    if channel not in Response.Channel.values:
        raise ValidationFailed(_("Unknown channel."), code="invalid_channel")
    by_question = {a.question_id: a for a in answers}
    questions = list(survey.questions.order_by("position", "id"))
    known = {q.pk for q in questions}
    if any(qid not in known for qid in by_question):
        raise ValidationFailed(
            _("An answer names a question not in this survey."), code="unknown_question"
        )
    rows: list[Answer] = []
    for question in questions:
        given = by_question.get(question.pk)
        if given is None or _blank(given):
            if question.required:
                raise _bad(question, _("Answer this question."), "answer_required")
            continue
        rows.append(_check(question, given))
    if Response.objects.filter(survey=survey, member=member).exists():
        raise Conflict(_("You have already answered this survey."), code="already_answered")
    try:
        with transaction.atomic():
            response = Response.objects.create(
                survey=survey,
                member=member,
                store_id=member.home_store_id,
                channel=channel,
                submitted_at=timezone.now(),
            )
            for row in rows:
                row.response = response
            Answer.objects.bulk_create(rows)
            Survey.objects.filter(pk=survey.pk).update(responses_count=F("responses_count") + 1)
    except IntegrityError:
        raise Conflict(
            _("You have already answered this survey."), code="already_answered"
        ) from None
    return response


def survey_answered(*, survey_id: int, member_id: int) -> bool:
    return Response.objects.filter(survey_id=survey_id, member_id=member_id).exists()
