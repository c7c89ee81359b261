"""The portal's 激活礼品卡: a member activates a pre-made card by number and secret code."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import activation
from huiyuan.cards.models import BatchCard, Card, CodeAttemptThrottle
from huiyuan.cards.tests.conftest import codes_of, gift_type, make_batch  # noqa: F401
from huiyuan.ledger.tests.factories import balances
from huiyuan.portal.tests.conftest import sign_in

pytestmark = pytest.mark.django_db

URL = "/m/cardactivate/"


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def sold(make_batch, codes_of):  # noqa: F811
    batch = make_batch(count=2, face=20_000, sold=True)
    return batch, sorted(codes_of(batch).items())


def state():
    return {
        "cards": sorted(Card.objects.values_list("pk", "status", "member_id")),
        "entries": sorted(BatchCard.objects.values_list("pk", "status")),
        "audit": AuditEvent.objects.filter(action="card.activated").count(),
    }


def post(client: Client, number: str, code: str, key: str = ""):
    return client.post(
        URL, {"number": number, "code": code, "key": key}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )


def test_the_section_shows_once_a_batch_is_sold(member_client, make_batch):  # noqa: F811
    client, _m, _c = member_client
    assert "激活礼品卡" not in client.get("/m/me/").content.decode()
    make_batch(count=1, sold=True)
    page = client.get("/m/me/").content.decode()
    assert "激活礼品卡" in page and URL in page
    form = client.get(URL).content.decode()
    assert "卡号" in form and "卡密" in form


def test_the_right_code_binds_the_card_to_the_member_once(member_client, sold, member_with_card):
    client, member, _own = member_client
    _batch, cards = sold
    number, code = cards[0]
    response = post(client, number, code, key="k1")
    card = Card.objects.get(number=number)
    assert response.status_code == 302
    assert response["Location"] == f"/m/card/{card.pk}/"
    assert (card.status, card.member_id) == (Card.Status.ACTIVE, member.pk)
    assert balances(card)["principal"] == 20_000
    assert BatchCard.objects.get(card=card).status == BatchCard.Status.ACTIVATED
    event = AuditEvent.objects.get(action="card.activated")
    assert (event.actor_label, event.member_id) == (f"member:{member.pk}", member.pk)
    follow = client.get(response["Location"]).content.decode()
    assert f"卡 {number} 已激活，现在归您所有。" in follow

    # the same submit again (double tap): the same result, nothing more
    assert post(client, number, code, key="k1").status_code == 302
    assert AuditEvent.objects.filter(action="card.activated").count() == 1

    # another member with the used code: refused, the card stays the first member's
    other, _c = member_with_card("李四")
    before = state()
    page = post(sign_in(Client(), other), number, code, key="k2")
    assert page.status_code == 200
    assert "此卡密已使用：该卡已激活。" in page.content.decode()
    assert state() == before
    assert Card.objects.get(number=number).member_id == member.pk


def test_a_wrong_code_is_refused_and_counted_then_locked(member_client, sold):
    client, member, _own = member_client
    _batch, cards = sold
    number, code = cards[0]
    wrong = "0" * len(code) if code != "0" * len(code) else "1" * len(code)
    before = state()
    page = post(client, number, wrong).content.decode()
    assert (
        f"卡号或卡密不正确（再错 {activation.MAX_CARD_FAILURES - 1} 次将锁定激活 15 分钟）。"
        in page
    )
    assert state() == before
    # the member's attempts are counted as theirs, not every portal member's
    assert CodeAttemptThrottle.objects.filter(
        scope=CodeAttemptThrottle.Scope.ACTOR, key=f"member:{member.pk}", failures=1
    ).exists()
    for _ in range(activation.MAX_CARD_FAILURES - 1):
        post(client, number, wrong)
    # locked now: even the right code is refused, and nothing changed
    page = post(client, number, code).content.decode()
    assert "卡密错误次数过多，激活已锁定，请 15 分钟后再试" in page
    assert state() == before
    assert Card.objects.get(number=number).status == Card.Status.PENDING


def test_empty_fields_are_explained_and_an_unknown_number_refused(member_client, sold):
    client, _m, _c = member_client
    page = post(client, "", "").content.decode()
    assert "请输入卡面上印的卡号。" in page and "请输入卡背面刮开涂层后的卡密。" in page
    before = state()
    page = post(client, "9999000011112222", "ABCD-EFGH").content.decode()
    assert "卡号或卡密不正确" in page
    assert state() == before


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/m/signin/" in response["Location"]
