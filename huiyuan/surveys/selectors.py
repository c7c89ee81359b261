"""Reads: surveys, their statistics (within the actor's stores), feedback lists."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.stores.scope import stores_in_view
from huiyuan.surveys.models import Answer, Feedback, Invitation, Question, Response, Survey

TEXT_SAMPLES = 20


def survey_list(*, actor: Actor, status: str = "") -> QuerySet[Survey]:
    require(actor, Perm.SURVEY_VIEW)
    rows = Survey.objects.annotate(question_count=Count("questions"))
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-id")


def survey_get(*, actor: Actor, survey_id: int) -> Survey:
    require(actor, Perm.SURVEY_VIEW)
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise NotFound(_("Survey not found."), code="survey_not_found")
    return survey


def survey_questions(survey: Survey) -> list[Question]:
    return list(survey.questions.order_by("position", "id"))


def responses_in_view(
    *, actor: Actor, survey: Survey, store_id: int | None = None
) -> QuerySet[Response]:
    """The survey's responses an actor may read: members of its stores, or all."""
    require(actor, Perm.SURVEY_VIEW)
    rows = Response.objects.filter(survey=survey)
    stores = stores_in_view(actor, store_id)
    if stores is not None:
        rows = rows.filter(store_id__in=stores)
    return rows


@dataclass
class OptionStat:
    label: str
    count: int
    percent: float


@dataclass
class QuestionStat:
    question: Question
    answered: int = 0
    options: list[OptionStat] = field(default_factory=list)
    average: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class SurveyStats:
    responses: int
    invited: int
    questions: list[QuestionStat]

    def chart_data(self) -> list[dict[str, object]]:
        """What the statistics page's charts draw (ids, labels and counts only)."""
        return [
            {
                "id": s.question.pk,
                "kind": s.question.kind,
                "labels": [o.label for o in s.options],
                "counts": [o.count for o in s.options],
            }
            for s in self.questions
            if s.options
        ]


def survey_stats(*, actor: Actor, survey: Survey, store_id: int | None = None) -> SurveyStats:
    """Counts per option, the rating's spread and average, recent text answers."""
    responses = responses_in_view(actor=actor, survey=survey, store_id=store_id)
    total = responses.count()
    invited = Invitation.objects.filter(survey=survey)
    stores = stores_in_view(actor, store_id)
    if stores is not None:
        invited = invited.filter(member__home_store_id__in=stores)
    answers = Answer.objects.filter(response__in=responses.values("pk"))
    stats: list[QuestionStat] = []
    for question in survey_questions(survey):
        mine = answers.filter(question=question)
        stat = QuestionStat(question=question, answered=mine.count())
        if question.kind in Question.CHOICE_KINDS:
            counts = [0] * len(question.choices)
            for picked in mine.values_list("choices", flat=True):
                for index in picked or []:
                    if 0 <= index < len(counts):
                        counts[index] += 1
            stat.options = [
                OptionStat(label, n, round(100 * n / stat.answered, 1) if stat.answered else 0.0)
                for label, n in zip(question.choices, counts, strict=True)
            ]
        elif question.kind == Question.Kind.RATING:
            spread = dict(
                mine.values_list("rating").annotate(n=Count("id")).values_list("rating", "n")
            )
            stat.options = [
                OptionStat(
                    f"{r}★",
                    spread.get(r, 0),
                    round(100 * spread.get(r, 0) / stat.answered, 1) if stat.answered else 0.0,
                )
                for r in range(1, 6)
            ]
            if stat.answered:
                stat.average = round(sum(r * n for r, n in spread.items()) / stat.answered, 2)
        else:
            stat.texts = list(
                mine.exclude(text="").order_by("-id").values_list("text", flat=True)[:TEXT_SAMPLES]
            )
        stats.append(stat)
    return SurveyStats(responses=total, invited=invited.count(), questions=stats)


def member_invitations(*, member_id: int) -> list[Invitation]:
    """The published surveys a member is invited to (portal), newest first."""
    return list(
        Invitation.objects.filter(member_id=member_id, survey__status=Survey.Status.PUBLISHED)
        .select_related("survey")
        .order_by("-id")[:50]
    )


def feedback_list(
    *,
    actor: Actor,
    store_id: int | None = None,
    status: str = "",
    category: str = "",
    member_id: int | None = None,
) -> QuerySet[Feedback]:
    require(actor, Perm.FEEDBACK_VIEW)
    rows = Feedback.objects.select_related("member", "store", "owner")
    stores = stores_in_view(actor, store_id)
    if stores is not None:
        rows = rows.filter(store_id__in=stores)
    if status:
        rows = rows.filter(status=status)
    if category:
        rows = rows.filter(category=category)
    if member_id is not None:
        rows = rows.filter(member_id=member_id)
    return rows.order_by("-id")


def feedback_get(*, actor: Actor, feedback_id: int) -> Feedback:
    row = feedback_list(actor=actor).filter(pk=feedback_id).first()
    if row is None:
        raise NotFound(_("Feedback not found."), code="feedback_not_found")
    return row


def member_feedback(*, member_id: int) -> list[Feedback]:
    """A member's own feedback (portal), newest first."""
    return list(
        Feedback.objects.filter(member_id=member_id)
        .prefetch_related("replies")
        .select_related("store")
        .order_by("-id")[:50]
    )
