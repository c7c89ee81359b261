"""Fixtures of the survey tests: a published survey of four kinds of question."""

from __future__ import annotations

import pytest

from huiyuan.core.permissions import Role
from huiyuan.surveys import services
from huiyuan.surveys.models import Survey


@pytest.fixture
def marketer(actors):
    return actors[Role.MARKETER]


@pytest.fixture
def survey(marketer) -> Survey:
    s = services.survey_create(actor=marketer, title="门店满意度调查", description="耽误您一分钟")
    add = services.question_add
    add(
        actor=marketer,
        survey_id=s.pk,
        data=services.QuestionInput(
            kind="single", text="您多久来一次？", choices=["每周", "每月", "很少"]
        ),
    )
    add(
        actor=marketer,
        survey_id=s.pk,
        data=services.QuestionInput(
            kind="multiple", text="您喜欢哪些服务？", choices=["储值", "积分", "礼品"]
        ),
    )
    add(actor=marketer, survey_id=s.pk, data=services.QuestionInput(kind="rating", text="总体评分"))
    add(
        actor=marketer,
        survey_id=s.pk,
        data=services.QuestionInput(kind="text", text="其他建议", required=False),
    )
    return services.survey_publish(actor=marketer, survey_id=s.pk)
