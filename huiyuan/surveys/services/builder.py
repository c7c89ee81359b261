"""Building a questionnaire: the survey, its questions in order, publish and close.

Questions change only while the survey is a draft: once published, the answers refer to
them. Every write locks the survey row and records an audit row in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.surveys.models import Question, Survey

MAX_QUESTIONS = 50
MAX_OPTIONS = 20
MAX_OPTION_LENGTH = 60


def survey_locked(survey_id: int) -> Survey:
    survey = Survey.objects.select_for_update().filter(pk=survey_id).first()
    if survey is None:
        raise NotFound(_("Survey not found."), code="survey_not_found")
    return survey


def _draft(survey: Survey) -> None:
    if survey.status != Survey.Status.DRAFT:
        raise Conflict(_("A published survey's questions cannot change."), code="survey_not_draft")


def _clean_title(title: str, description: str) -> tuple[str, str]:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("Enter a title."), code="title_required", field="title")
    return title[:100], (description or "").strip()[:500]


def survey_create(*, actor: Actor, title: str, description: str = "") -> Survey:
    """Start a questionnaire (a draft)."""
    require(actor, Perm.SURVEY_MANAGE)
    title, description = _clean_title(title, description)
    with transaction.atomic():
        survey = Survey.objects.create(
            title=title,
            description=description,
            created_by=actor.staff,
            created_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="survey.created",
            subject_type="survey",
            subject_id=survey.pk,
            after={"title": title},
        )
    return survey


def survey_update(*, actor: Actor, survey_id: int, title: str, description: str = "") -> Survey:
    """Rename a survey or change its introduction (any status)."""
    require(actor, Perm.SURVEY_MANAGE)
    title, description = _clean_title(title, description)
    with transaction.atomic():
        survey = survey_locked(survey_id)
        before = {"title": survey.title, "description": survey.description}
        survey.title, survey.description = title, description
        survey.save(update_fields=["title", "description"])
        audit_record(
            actor=actor,
            action="survey.updated",
            subject_type="survey",
            subject_id=survey.pk,
            before=before,
            after={"title": title, "description": description},
        )
    return survey


@dataclass(frozen=True)
class QuestionInput:
    kind: str
    text: str
    required: bool = True
    choices: list[str] = field(default_factory=list)


def _clean_question(data: QuestionInput) -> QuestionInput:
    if data.kind not in Question.Kind.values:
        raise ValidationFailed(_("Choose a question kind."), code="invalid_kind", field="kind")
    text = (data.text or "").strip()
    if not text:
        raise ValidationFailed(_("Enter the question."), code="question_required", field="text")
    choices: list[str] = []
    if data.kind in Question.CHOICE_KINDS:
        choices = [c.strip() for c in data.choices or [] if c and c.strip()]
        if not 2 <= len(choices) <= MAX_OPTIONS:
            raise ValidationFailed(
                _("Give between 2 and 20 options."), code="invalid_options", field="choices"
            )
        if any(len(c) > MAX_OPTION_LENGTH for c in choices):
            raise ValidationFailed(
                _("An option may be at most 60 characters."),
                code="option_too_long",
                field="choices",
            )
        if len(set(choices)) != len(choices):
            raise ValidationFailed(
                _("Each option must differ from the others."),
                code="duplicate_option",
                field="choices",
            )
    return QuestionInput(
        kind=data.kind, text=text[:200], required=bool(data.required), choices=choices
    )


def _question_snapshot(q: Question) -> dict[str, object]:
    return {
        "kind": q.kind,
        "text": q.text,
        "required": q.required,
        "choices": q.choices,
        "position": q.position,
    }


def question_add(*, actor: Actor, survey_id: int, data: QuestionInput) -> Question:
    """Add a question at the end of a draft survey."""
    require(actor, Perm.SURVEY_MANAGE)
    data = _clean_question(data)
    with transaction.atomic():
        survey = survey_locked(survey_id)
        _draft(survey)
        if survey.questions.count() >= MAX_QUESTIONS:
            raise Conflict(_("A survey may have at most 50 questions."), code="too_many_questions")
        last = survey.questions.aggregate(m=Max("position"))["m"]
        question = Question.objects.create(
            survey=survey,
            position=0 if last is None else last + 1,
            kind=data.kind,
            text=data.text,
            required=data.required,
            choices=data.choices,
        )
        audit_record(
            actor=actor,
            action="survey.question_added",
            subject_type="survey",
            subject_id=survey.pk,
            after={"question_id": question.pk, **_question_snapshot(question)},
        )
    return question


def _question_locked(survey: Survey, question_id: int) -> Question:
    question = survey.questions.filter(pk=question_id).first()
    if question is None:
        raise NotFound(_("Question not found."), code="question_not_found")
    return question


def question_update(
    *, actor: Actor, survey_id: int, question_id: int, data: QuestionInput
) -> Question:
    require(actor, Perm.SURVEY_MANAGE)
    data = _clean_question(data)
    with transaction.atomic():
        survey = survey_locked(survey_id)
        _draft(survey)
        question = _question_locked(survey, question_id)
        before = _question_snapshot(question)
        question.kind, question.text = data.kind, data.text
        question.required, question.choices = data.required, data.choices
        question.save(update_fields=["kind", "text", "required", "choices"])
        audit_record(
            actor=actor,
            action="survey.question_changed",
            subject_type="survey",
            subject_id=survey.pk,
            before={"question_id": question.pk, **before},
            after={"question_id": question.pk, **_question_snapshot(question)},
        )
    return question


def question_delete(*, actor: Actor, survey_id: int, question_id: int) -> None:
    require(actor, Perm.SURVEY_MANAGE)
    with transaction.atomic():
        survey = survey_locked(survey_id)
        _draft(survey)
        question = _question_locked(survey, question_id)
        before = _question_snapshot(question)
        question.delete()
        _renumber(survey)
        audit_record(
            actor=actor,
            action="survey.question_removed",
            subject_type="survey",
            subject_id=survey.pk,
            before={"question_id": question_id, **before},
        )


def _renumber(survey: Survey, order: list[int] | None = None) -> None:
    ids = order or list(survey.questions.order_by("position", "id").values_list("pk", flat=True))
    for position, pk in enumerate(ids):
        Question.objects.filter(pk=pk).update(position=position)


def question_move(*, actor: Actor, survey_id: int, question_id: int, offset: int) -> Question:
    """Move a question up (``offset`` −1) or down (+1) in a draft survey."""
    require(actor, Perm.SURVEY_MANAGE)
    if offset not in (-1, 1):
        raise ValidationFailed(_("Move by one place."), code="invalid_offset", field="offset")
    with transaction.atomic():
        survey = survey_locked(survey_id)
        _draft(survey)
        question = _question_locked(survey, question_id)
        ids = list(survey.questions.order_by("position", "id").values_list("pk", flat=True))
        at = ids.index(question.pk)
        to = at + offset
        if 0 <= to < len(ids):
            ids[at], ids[to] = ids[to], ids[at]
            _renumber(survey, ids)
            audit_record(
                actor=actor,
                action="survey.question_moved",
                subject_type="survey",
                subject_id=survey.pk,
                after={"question_id": question.pk, "position": to},
            )
        question.refresh_from_db()
    return question


def survey_publish(*, actor: Actor, survey_id: int) -> Survey:
    """Open a draft for answers; its questions are frozen from now on."""
    require(actor, Perm.SURVEY_MANAGE)
    with transaction.atomic():
        survey = survey_locked(survey_id)
        _draft(survey)
        if not survey.questions.exists():
            raise Conflict(_("Add at least one question first."), code="survey_empty")
        survey.status = Survey.Status.PUBLISHED
        survey.published_at = timezone.now()
        survey.save(update_fields=["status", "published_at"])
        audit_record(
            actor=actor,
            action="survey.published",
            subject_type="survey",
            subject_id=survey.pk,
            after={"status": survey.status},
        )
    return survey


def survey_close(*, actor: Actor, survey_id: int) -> Survey:
    """Stop taking answers (the answers and statistics stay)."""
    require(actor, Perm.SURVEY_MANAGE)
    with transaction.atomic():
        survey = survey_locked(survey_id)
        if survey.status != Survey.Status.PUBLISHED:
            raise Conflict(_("Only a published survey can be closed."), code="survey_not_open")
        survey.status = Survey.Status.CLOSED
        survey.closed_at = timezone.now()
        survey.save(update_fields=["status", "closed_at"])
        audit_record(
            actor=actor,
            action="survey.closed",
            subject_type="survey",
            subject_id=survey.pk,
            after={"status": survey.status},
        )
    return survey
