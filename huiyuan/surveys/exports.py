"""The answers of a survey as an Excel workbook (openpyxl write-only, row by row)."""

from __future__ import annotations

import tempfile
from typing import IO

from openpyxl import Workbook

from huiyuan.core.clock import local_time
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.surveys.models import Answer, Question, Survey
from huiyuan.surveys.selectors import responses_in_view, survey_questions

CHUNK = 1000


def _cell(question: Question, answer: Answer | None) -> str | int:
    if answer is None:
        return ""
    if question.kind in Question.CHOICE_KINDS:
        return "；".join(
            question.choices[i] for i in answer.choices if 0 <= i < len(question.choices)
        )
    if question.kind == Question.Kind.RATING:
        return answer.rating or ""
    return answer.text


def survey_export(*, actor: Actor, survey: Survey, store_id: int | None = None) -> IO[bytes]:
    """A spooled file holding the workbook: one row per response in the actor's view, one
    column per question (member number, never a name or a mobile)."""
    require(actor, Perm.SURVEY_VIEW)
    questions = survey_questions(survey)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="答卷")
    sheet.append(["答卷编号", "提交时间", "会员编号", "门店编号", *[q.text for q in questions]])
    responses = (
        responses_in_view(actor=actor, survey=survey, store_id=store_id)
        .select_related("member")
        .order_by("pk")
    )
    last = 0
    while True:
        chunk = list(responses.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            break
        answers: dict[tuple[int, int], Answer] = {
            (a.response_id, a.question_id): a
            for a in Answer.objects.filter(response_id__in=[r.pk for r in chunk])
        }
        for response in chunk:
            sheet.append(
                [
                    response.pk,
                    local_time(response.submitted_at).strftime("%Y-%m-%d %H:%M"),
                    response.member.code,
                    response.store_id or "",
                    *[_cell(q, answers.get((response.pk, q.pk))) for q in questions],
                ]
            )
        last = chunk[-1].pk
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    book.save(out)
    out.seek(0)
    return out
