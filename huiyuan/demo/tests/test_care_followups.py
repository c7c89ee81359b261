"""The demo's survey, feedback and follow-up calls: real rows, loaded once."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.demo import loader
from huiyuan.followups.models import Followup
from huiyuan.surveys.models import Feedback, Response, Survey

NOW = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_demo_survey_feedback_and_calls_load_once():
    loader.load_demo(members=60, now=NOW, cardholders=0)
    survey = Survey.objects.get()
    assert (survey.status, survey.responses_count, Response.objects.count()) == (
        "published",
        40,
        40,
    )
    assert survey.invited_count == 60
    assert Feedback.objects.count() == 3
    assert Followup.objects.filter(reason="complaint").count() == 1
    assert Followup.objects.filter(reason="manual", status="overdue").count() == 1
    before = (Response.objects.count(), Followup.objects.count(), Feedback.objects.count())
    loader.load_demo(members=60, now=NOW, cardholders=0)
    assert (Response.objects.count(), Followup.objects.count(), Feedback.objects.count()) == before
