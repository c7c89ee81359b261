"""Survey endpoints (问卷): build, publish, close, distribute; statistics and the export.

Members answer in the portal (``/m/surveys/``), signed in or through their signed link.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_keyed
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.followups import (
    MoveIn,
    NoFieldsIn,
    QuestionIn,
    StatsQuery,
    SurveyDetailOut,
    SurveyDistributionIn,
    SurveyDistributionOut,
    SurveyIn,
    SurveyOut,
    SurveyQuery,
    SurveyStatsOut,
)
from huiyuan.api.schemas.money import OptionalIdempotencyKey
from huiyuan.surveys import selectors, services
from huiyuan.surveys.exports import survey_export
from huiyuan.surveys.models import Distribution, Question, Survey

router = Router(tags=["surveys"])

SurveyId = Path(..., ge=1, le=MAX_ID, description="Survey id.")
QuestionId = Path(..., ge=1, le=MAX_ID, description="Question id.")

XLSX_RESPONSE = {
    "responses": {
        "200": {
            "description": "An .xlsx workbook.",
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                }
            },
        }
    }
}


def _detail(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    survey = selectors.survey_get(actor=actor_of(request), survey_id=survey_id)
    return {**survey.__dict__, "questions": selectors.survey_questions(survey)}


def _question(payload: QuestionIn) -> services.QuestionInput:
    return services.QuestionInput(
        kind=payload.kind, text=payload.text, required=payload.required, choices=payload.choices
    )


@router.get("/surveys", response={200: list[SurveyOut], **ERRORS}, summary="Surveys")
def survey_list(request: HttpRequest, filters: Query[SurveyQuery]) -> list[Survey]:
    return list(selectors.survey_list(actor=actor_of(request), status=filters.status or "")[:500])


@router.post("/surveys", response={201: SurveyDetailOut, **ERRORS}, summary="Start a survey")
def survey_create(
    request: HttpRequest,
    payload: SurveyIn,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[dict[str, Any]]:
    survey = run_keyed(
        request,
        idempotency_key,
        "survey.create",
        payload.dict(),
        lambda: services.survey_create(
            actor=actor_of(request), title=payload.title, description=payload.description
        ),
        lambda pk: Survey.objects.get(pk=pk),
    )
    return Status(201, _detail(request, survey.pk))


@router.get(
    "/surveys/{int:survey_id}", response={200: SurveyDetailOut, **ERRORS}, summary="One survey"
)
def survey_get(request: HttpRequest, survey_id: int = SurveyId) -> dict[str, Any]:
    return _detail(request, survey_id)


@router.put(
    "/surveys/{int:survey_id}",
    response={200: SurveyDetailOut, **ERRORS},
    summary="Rename a survey or change its introduction",
)
def survey_update(
    request: HttpRequest, payload: SurveyIn, survey_id: int = SurveyId
) -> dict[str, Any]:
    services.survey_update(
        actor=actor_of(request),
        survey_id=survey_id,
        title=payload.title,
        description=payload.description,
    )
    return _detail(request, survey_id)


@router.post(
    "/surveys/{int:survey_id}/questions",
    response={201: SurveyDetailOut, **ERRORS},
    summary="Add a question at the end (draft only)",
)
def question_add(
    request: HttpRequest,
    payload: QuestionIn,
    survey_id: int = SurveyId,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[dict[str, Any]]:
    run_keyed(
        request,
        idempotency_key,
        "survey.question_add",
        {"survey_id": survey_id, **payload.dict()},
        lambda: services.question_add(
            actor=actor_of(request), survey_id=survey_id, data=_question(payload)
        ),
        lambda pk: Question.objects.get(pk=pk),
    )
    return Status(201, _detail(request, survey_id))


@router.put(
    "/surveys/{int:survey_id}/questions/{int:question_id}",
    response={200: SurveyDetailOut, **ERRORS},
    summary="Change a question (draft only)",
)
def question_update(
    request: HttpRequest,
    payload: QuestionIn,
    survey_id: int = SurveyId,
    question_id: int = QuestionId,
) -> dict[str, Any]:
    services.question_update(
        actor=actor_of(request),
        survey_id=survey_id,
        question_id=question_id,
        data=_question(payload),
    )
    return _detail(request, survey_id)


@router.delete(
    "/surveys/{int:survey_id}/questions/{int:question_id}",
    response={200: SurveyDetailOut, **ERRORS},
    summary="Remove a question (draft only)",
)
def question_delete(
    request: HttpRequest, survey_id: int = SurveyId, question_id: int = QuestionId
) -> dict[str, Any]:
    services.question_delete(actor=actor_of(request), survey_id=survey_id, question_id=question_id)
    return _detail(request, survey_id)


@router.post(
    "/surveys/{int:survey_id}/questions/{int:question_id}/move",
    response={200: SurveyDetailOut, **ERRORS},
    summary="Move a question up (-1) or down (+1)",
    description="Each call moves the question one place: send an `Idempotency-Key` (optional "
    "here) so that a retry answers the first result instead of moving it twice.",
)
def question_move(
    request: HttpRequest,
    payload: MoveIn,
    survey_id: int = SurveyId,
    question_id: int = QuestionId,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> dict[str, Any]:
    def move() -> Question:
        services.question_move(
            actor=actor_of(request),
            survey_id=survey_id,
            question_id=question_id,
            offset=payload.offset,
        )
        return Question.objects.get(pk=question_id)

    run_keyed(
        request,
        idempotency_key,
        "survey.question_move",
        {"survey_id": survey_id, "question_id": question_id, **payload.dict()},
        move,
        lambda pk: Question.objects.get(pk=pk),
    )
    return _detail(request, survey_id)


@router.post(
    "/surveys/{int:survey_id}/publish",
    response={200: SurveyDetailOut, **ERRORS},
    summary="Open a draft for answers",
)
def survey_publish(
    request: HttpRequest, payload: NoFieldsIn, survey_id: int = SurveyId
) -> dict[str, Any]:
    services.survey_publish(actor=actor_of(request), survey_id=survey_id)
    return _detail(request, survey_id)


@router.post(
    "/surveys/{int:survey_id}/close",
    response={200: SurveyDetailOut, **ERRORS},
    summary="Stop taking answers",
)
def survey_close(
    request: HttpRequest, payload: NoFieldsIn, survey_id: int = SurveyId
) -> dict[str, Any]:
    services.survey_close(actor=actor_of(request), survey_id=survey_id)
    return _detail(request, survey_id)


@router.post(
    "/surveys/{int:survey_id}/distributions",
    response={201: SurveyDistributionOut, **ERRORS},
    summary="Invite a segment or everyone in scope (each member once)",
)
def survey_distribute(
    request: HttpRequest,
    payload: SurveyDistributionIn,
    survey_id: int = SurveyId,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[Distribution]:
    row = run_keyed(
        request,
        idempotency_key,
        "survey.distribute",
        {"survey_id": survey_id, **payload.dict()},
        lambda: services.survey_distribute(
            actor=actor_of(request),
            survey_id=survey_id,
            target=payload.target,
            segment_id=payload.segment_id,
            sms=payload.sms,
            link_for=lambda token: request.build_absolute_uri(f"/m/surveys/t/{token}/"),
        ),
        lambda pk: Distribution.objects.get(pk=pk),
    )
    return Status(201, row)


@router.get(
    "/surveys/{int:survey_id}/stats",
    response={200: SurveyStatsOut, **ERRORS},
    summary="Counts per option, ratings, recent text answers (store-scoped)",
)
def survey_stats(
    request: HttpRequest, filters: Query[StatsQuery], survey_id: int = SurveyId
) -> dict[str, Any]:
    actor = actor_of(request)
    survey = selectors.survey_get(actor=actor, survey_id=survey_id)
    stats = selectors.survey_stats(actor=actor, survey=survey, store_id=filters.store_id)
    return {
        "survey_id": survey.pk,
        "responses": stats.responses,
        "invited": stats.invited,
        "questions": [
            {
                "question_id": s.question.pk,
                "kind": s.question.kind,
                "text": s.question.text,
                "answered": s.answered,
                "options": [
                    {"label": o.label, "count": o.count, "percent": f"{o.percent:.1f}"}
                    for o in s.options
                ],
                "average": None if s.average is None else f"{s.average:.2f}",
                "texts": s.texts,
            }
            for s in stats.questions
        ],
    }


@router.get(
    "/surveys/{int:survey_id}/responses.xlsx",
    response={200: None, **ERRORS},
    summary="The answers as an Excel file (store-scoped)",
    openapi_extra=XLSX_RESPONSE,
)
def survey_export_xlsx(
    request: HttpRequest, filters: Query[StatsQuery], survey_id: int = SurveyId
) -> FileResponse:
    actor = actor_of(request)
    survey = selectors.survey_get(actor=actor, survey_id=survey_id)
    stream = survey_export(actor=actor, survey=survey, store_id=filters.store_id)
    return FileResponse(stream, as_attachment=True, filename=f"survey-{survey.pk}.xlsx")
