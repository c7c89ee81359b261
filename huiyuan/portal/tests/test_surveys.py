"""Portal surveys and feedback: answer once (signed in or by the personal link), feedback."""

from __future__ import annotations

import pytest
from django.test import Client

from huiyuan.core.permissions import Role
from huiyuan.followups.models import Followup
from huiyuan.ledger.tests.factories import member
from huiyuan.surveys import services
from huiyuan.surveys.models import Answer, Feedback, Response
from huiyuan.surveys.tokens import token_make

from .conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(actors):
    mk = actors[Role.MARKETER]
    s = services.survey_create(actor=mk, title="满意度调查")
    services.question_add(
        actor=mk,
        survey_id=s.pk,
        data=services.QuestionInput(kind="single", text="来店频率", choices=["每周", "每月"]),
    )
    services.question_add(
        actor=mk, survey_id=s.pk, data=services.QuestionInput(kind="rating", text="评分")
    )
    services.question_add(
        actor=mk,
        survey_id=s.pk,
        data=services.QuestionInput(kind="text", text="建议", required=False),
    )
    return services.survey_publish(actor=mk, survey_id=s.pk)


def _form(survey, single="1", rating="5", text="好"):
    q = list(survey.questions.order_by("position"))
    return {f"q{q[0].pk}": single, f"q{q[1].pk}": rating, f"q{q[2].pk}": text}


def test_signed_in_member_answers_an_invited_survey_once(member_client, survey, actors):
    client, m, _card = member_client
    assert client.get(f"/m/surveys/{survey.pk}/").status_code == 404  # not invited
    services.survey_distribute(actor=actors[Role.MARKETER], survey_id=survey.pk, target="everyone")
    page = client.get("/m/surveys/").content.decode()
    assert "满意度调查" in page
    r = client.post(f"/m/surveys/{survey.pk}/", _form(survey, rating=""))
    assert r.status_code == 200 and "sv-q-error" in r.content.decode()
    assert Response.objects.count() == 0
    r = client.post(f"/m/surveys/{survey.pk}/", _form(survey))
    assert 'data-testid="survey-thanks"' in r.content.decode()
    response = Response.objects.get()
    assert (response.member_id, response.channel) == (m.pk, "portal")
    assert sorted(Answer.objects.values_list("rating", flat=True), key=str) == [5, None, None]
    r = client.post(f"/m/surveys/{survey.pk}/", _form(survey))
    assert Response.objects.count() == 1 and Answer.objects.count() == 3


def test_token_link_without_sign_in(survey, cashier):
    m = member(cashier)
    url = f"/m/surveys/t/{token_make(survey.pk, m.pk)}/"
    c = Client()
    assert c.get(url).status_code == 200
    r = c.post(url, _form(survey, single="0", rating="3", text=""))
    assert r.status_code == 200 and Response.objects.get().channel == "link"
    again = c.get(url).content.decode()
    assert 'data-testid="survey-thanks"' in again
    forged = url.replace(f"{survey.pk}.{m.pk}", f"{survey.pk}.{m.pk + 1}")
    assert c.get(forged).status_code == 404


def test_closed_survey_link(survey, cashier, actors):
    m = member(cashier)
    services.survey_close(actor=actors[Role.MARKETER], survey_id=survey.pk)
    r = Client().get(f"/m/surveys/t/{token_make(survey.pk, m.pk)}/")
    assert r.status_code == 410


def test_member_files_a_complaint_and_sees_the_reply(member_client, stores, actors):
    client, m, _card = member_client
    r = client.post(
        "/m/surveys/feedback/new/",
        {"category": "complaint", "text": "服务太慢", "store": str(stores[0].pk)},
    )
    fb = Feedback.objects.get()
    assert r.status_code == 302 and (fb.member_id, fb.source) == (m.pk, "portal")
    assert Followup.objects.get().reason == "complaint"
    services.feedback_reply(actor=actors[Role.STORE_MANAGER], feedback_id=fb.pk, text="抱歉")
    page = client.get(f"/m/surveys/feedback/{fb.pk}/").content.decode()
    assert "抱歉" in page
    other = sign_in(Client(), member(actors[Role.CASHIER], "别人"))
    assert other.get(f"/m/surveys/feedback/{fb.pk}/").status_code == 404
    r = client.post("/m/surveys/feedback/new/", {"category": "rant", "text": "x"})
    assert r.status_code == 200 and Feedback.objects.count() == 1


def test_pages_need_sign_in(survey):
    r = Client().get("/m/surveys/")
    assert r.status_code == 302 and "/m/signin/" in r["Location"]
