"""Building, distributing, answering a survey; statistics and the Excel export."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from huiyuan.care.models import Delivery
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import member
from huiyuan.surveys import selectors, services
from huiyuan.surveys.exports import survey_export
from huiyuan.surveys.models import Answer, Invitation, Question, Response, Survey
from huiyuan.surveys.tokens import token_make, token_read

pytestmark = pytest.mark.django_db


def answers_for(survey: Survey, single=0, multiple=(0, 2), rating=4, text="很好"):
    q = list(survey.questions.order_by("position"))
    return [
        services.AnswerInput(question_id=q[0].pk, choices=[single]),
        services.AnswerInput(question_id=q[1].pk, choices=list(multiple)),
        services.AnswerInput(question_id=q[2].pk, rating=rating),
        services.AnswerInput(question_id=q[3].pk, text=text),
    ]


def counts() -> tuple[int, int]:
    return Response.objects.count(), Answer.objects.count()


def test_builder_orders_questions_and_freezes_them_when_published(marketer):
    s = services.survey_create(actor=marketer, title="  新品调查 ")
    a = services.question_add(
        actor=marketer, survey_id=s.pk, data=services.QuestionInput(kind="rating", text="口味")
    )
    b = services.question_add(
        actor=marketer, survey_id=s.pk, data=services.QuestionInput(kind="text", text="建议")
    )
    services.question_move(actor=marketer, survey_id=s.pk, question_id=b.pk, offset=-1)
    assert [q.text for q in selectors.survey_questions(s)] == ["建议", "口味"]
    with pytest.raises(ValidationFailed) as exc:
        services.question_add(
            actor=marketer,
            survey_id=s.pk,
            data=services.QuestionInput(kind="single", text="颜色", choices=["红"]),
        )
    assert exc.value.code == "invalid_options"
    with pytest.raises(ValidationFailed) as exc:
        services.question_add(
            actor=marketer,
            survey_id=s.pk,
            data=services.QuestionInput(kind="single", text="颜色", choices=["红", "红"]),
        )
    assert exc.value.code == "duplicate_option"
    services.question_delete(actor=marketer, survey_id=s.pk, question_id=a.pk)
    survey = services.survey_publish(actor=marketer, survey_id=s.pk)
    assert (survey.title, survey.status) == ("新品调查", "published")
    with pytest.raises(Conflict) as exc:
        services.question_add(
            actor=marketer, survey_id=s.pk, data=services.QuestionInput(kind="text", text="再问")
        )
    assert exc.value.code == "survey_not_draft"
    assert [q.text for q in selectors.survey_questions(s)] == ["建议"]


def test_empty_survey_cannot_be_published_and_roles(marketer, actors):
    s = services.survey_create(actor=marketer, title="空")
    with pytest.raises(Conflict) as exc:
        services.survey_publish(actor=marketer, survey_id=s.pk)
    assert exc.value.code == "survey_empty"
    for role in (Role.STORE_MANAGER, Role.CASHIER, Role.CALL_CENTER):
        with pytest.raises(PermissionDenied):
            services.survey_create(actor=actors[role], title="X")
    assert Survey.objects.count() == 1


def test_answer_once_and_stats(survey, cashier, actors):
    m1, m2 = member(cashier, "甲"), member(cashier, "乙")
    services.survey_answer(
        survey_id=survey.pk, member_id=m1.pk, answers=answers_for(survey), channel="link"
    )
    services.survey_answer(
        survey_id=survey.pk,
        member_id=m2.pk,
        answers=answers_for(survey, single=1, multiple=(2,), rating=5, text=""),
        channel="portal",
    )
    before = counts()
    with pytest.raises(Conflict) as exc:
        services.survey_answer(
            survey_id=survey.pk, member_id=m1.pk, answers=answers_for(survey), channel="link"
        )
    assert exc.value.code == "already_answered"
    assert counts() == before == (2, 7)
    stats = selectors.survey_stats(actor=actors[Role.MARKETER], survey=survey)
    assert stats.responses == 2
    single, multiple, rating, text = stats.questions
    assert [(o.label, o.count, o.percent) for o in single.options] == [
        ("每周", 1, 50.0),
        ("每月", 1, 50.0),
        ("很少", 0, 0.0),
    ]
    assert [o.count for o in multiple.options] == [1, 0, 2]
    assert [o.count for o in rating.options] == [0, 0, 0, 1, 1] and rating.average == 4.5
    assert text.texts == ["很好"] and text.answered == 1
    survey.refresh_from_db()
    assert survey.responses_count == 2
    chart = stats.chart_data()
    assert [c["counts"] for c in chart] == [[1, 1, 0], [1, 0, 2], [0, 0, 0, 1, 1]]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"single": 3}, "invalid_choice"),
        ({"rating": 6}, "invalid_rating"),
        ({"multiple": (1, 1)}, "invalid_choice"),
        ({"text": "字" * 1001}, "text_too_long"),
    ],
)
def test_bad_answers_write_nothing(survey, cashier, change, code):
    m = member(cashier)
    with pytest.raises(ValidationFailed) as exc:
        services.survey_answer(
            survey_id=survey.pk,
            member_id=m.pk,
            answers=answers_for(survey, **change),
            channel="link",
        )
    assert exc.value.code == code
    assert counts() == (0, 0)


def test_required_questions_and_closed_survey(survey, cashier, marketer):
    m = member(cashier)
    partial = answers_for(survey)[1:]
    with pytest.raises(ValidationFailed) as exc:
        services.survey_answer(survey_id=survey.pk, member_id=m.pk, answers=partial, channel="link")
    assert exc.value.code == "answer_required"
    assert exc.value.details["question_id"] == survey.questions.order_by("position")[0].pk
    optional_left_out = answers_for(survey)[:3]
    services.survey_answer(
        survey_id=survey.pk, member_id=m.pk, answers=optional_left_out, channel="link"
    )
    services.survey_close(actor=marketer, survey_id=survey.pk)
    with pytest.raises(Conflict) as exc:
        services.survey_answer(
            survey_id=survey.pk,
            member_id=member(cashier, "丙").pk,
            answers=answers_for(survey),
            channel="link",
        )
    assert exc.value.code == "survey_closed"
    assert counts() == (1, 3)


def test_token_round_trip_and_forgery():
    token = token_make(12, 345)
    assert token_read(token) == (12, 345)
    forged = token.replace("12.345", "12.346", 1)
    with pytest.raises(NotFound) as exc:
        token_read(forged)
    assert exc.value.code == "invalid_survey_link"


def test_distribution_invites_each_member_once_within_scope(survey, cashier, actors, stores):
    from huiyuan.members.models import Member

    m1, m2 = member(cashier, "甲"), member(cashier, "乙")
    Member.objects.filter(pk=m2.pk).update(home_store=stores[1])
    marketer = actors[Role.MARKETER]
    first = services.survey_distribute(actor=marketer, survey_id=survey.pk, target="everyone")
    again = services.survey_distribute(actor=marketer, survey_id=survey.pk, target="everyone")
    assert (first.invited, again.invited) == (2, 0)
    assert Invitation.objects.filter(survey=survey).count() == 2
    m3 = member(cashier, "丙")
    with_sms = services.survey_distribute(
        actor=marketer,
        survey_id=survey.pk,
        target="everyone",
        sms=True,
        link_for=lambda token: f"https://shop.example/m/surveys/t/{token}/",
    )
    assert (with_sms.invited, with_sms.sms_queued) == (1, 1)  # only the new member
    sms = Delivery.objects.get(template_code="survey_invite")
    assert (sms.member_id, sms.kind, sms.channel) == (m3.pk, "marketing", "sms")
    assert f"https://shop.example/m/surveys/t/{survey.pk}.{m3.pk}." in sms.body
    assert "退订" in sms.body
    assert [i.survey_id for i in selectors.member_invitations(member_id=m1.pk)] == [survey.pk]
    survey.refresh_from_db()
    assert survey.invited_count == 3


def test_stats_and_export_respect_store_scope(survey, cashier, actors, stores):
    from huiyuan.members.models import Member

    here, there = member(cashier, "甲"), member(cashier, "乙")
    Member.objects.filter(pk=there.pk).update(home_store=stores[1])
    for m in (here, there):
        services.survey_answer(
            survey_id=survey.pk, member_id=m.pk, answers=answers_for(survey), channel="link"
        )
    manager = actors[Role.STORE_MANAGER]  # stores[0] only
    assert selectors.survey_stats(actor=manager, survey=survey).responses == 1
    with pytest.raises(PermissionDenied):
        selectors.survey_stats(actor=manager, survey=survey, store_id=stores[1].pk)
    book = load_workbook(survey_export(actor=manager, survey=survey), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("答卷编号", "提交时间", "会员编号", "门店编号")
    assert rows[0][4:] == tuple(q.text for q in Question.objects.filter(survey=survey))
    assert len(rows) == 2
    assert rows[1][2] == here.code and rows[1][4:] == ("每周", "储值；礼品", 4, "很好")
    full = load_workbook(survey_export(actor=actors[Role.OWNER], survey=survey), read_only=True)
    assert len(list(full.active.iter_rows(values_only=True))) == 3


def test_distribution_to_a_saved_segment(survey, cashier, actors, stores):
    from huiyuan.members.models import Member
    from huiyuan.segments.services import segment_create

    here, there = member(cashier, "甲"), member(cashier, "乙")
    Member.objects.filter(pk=there.pk).update(home_store=stores[1])
    segment = segment_create(
        actor=actors[Role.OWNER], name="东城店会员", definition={"stores": [stores[1].pk]}
    )
    row = services.survey_distribute(
        actor=actors[Role.MARKETER], survey_id=survey.pk, target="segment", segment_id=segment.pk
    )
    assert (row.invited, row.segment_id) == (1, segment.pk)
    assert list(Invitation.objects.values_list("member_id", flat=True)) == [there.pk]
    assert here.pk not in {i.member_id for i in Invitation.objects.all()}
    with pytest.raises(ValidationFailed) as exc:
        services.survey_distribute(
            actor=actors[Role.MARKETER], survey_id=survey.pk, target="segment"
        )
    assert exc.value.code == "segment_required"
