"""Real threads on PostgreSQL: one member's answers sent eight times at once are stored
once; a complaint's follow-up is made once however many sweeps race."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection, transaction

from huiyuan.core.races import race
from huiyuan.followups.automatic import followup_on_complaint
from huiyuan.followups.models import Followup
from huiyuan.ledger.tests.factories import member
from huiyuan.surveys import services
from huiyuan.surveys.models import Answer, Response

from .test_surveys import answers_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("races are tested on PostgreSQL (SQLite serialises writers)")


def test_eight_answers_at_once_are_stored_once(survey, cashier):
    m = member(cashier)

    def side():
        return services.survey_answer(
            survey_id=survey.pk, member_id=m.pk, answers=answers_for(survey), channel="link"
        ).pk

    results = race(*(side for _ in range(8)))
    assert Counter(isinstance(r, int) for r in results) == {True: 1, False: 7}
    assert set(r for r in results if not isinstance(r, int)) == {"already_answered"}
    assert Response.objects.count() == 1 and Answer.objects.count() == 4
    survey.refresh_from_db()
    assert survey.responses_count == 1


def test_complaint_follow_up_made_once_under_a_race(cashier, stores):
    m = member(cashier)

    def side():
        with transaction.atomic():
            task = followup_on_complaint(feedback_id=99, member_id=m.pk, store_id=stores[0].pk)
        return None if task is None else task.pk

    results = race(*(side for _ in range(6)))
    assert sum(r is not None for r in results) == 1, results
    assert Followup.objects.filter(dedupe_key="complaint:99").count() == 1
