"""Counter: further holders of a family / linked / group card, who share its one wallet."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import services as card_services
from huiyuan.cards.models import Card, CardHolder
from huiyuan.core.permissions import Role
from huiyuan.ledger.models import Entry
from huiyuan.ledger.tests.factories import card, card_type, key, member
from huiyuan.points.services import points_adjust
from huiyuan.wallet.services import wallet_recharge

pytestmark = pytest.mark.django_db


def state() -> tuple:
    return (
        list(CardHolder.objects.order_by("pk").values()),
        list(Card.objects.order_by("pk").values()),
        Entry.objects.count(),
        AuditEvent.objects.count(),
    )


def text(html: str) -> str:
    """The page as a reader sees it: tags dropped, white space folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def panel_of(html: str, number: str) -> str:
    """The member page's block for one card."""
    start = html.index(f'data-testid="member-card" data-card="{number}"')
    end = html.find('data-testid="member-card"', start + 1)
    return html[start : end if end > 0 else len(html)]


@pytest.fixture
def family(owner, cashier):
    """张三's family card for three, with ¥300 principal and 500 points on it."""
    ctype = card_type(
        owner, code="family", name="家庭储值卡", category="multi", holding="family", max_holders=3
    )
    primary = member(cashier, name="张三")
    c = card(cashier, owner, ctype=ctype, holder=primary)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=30000, method="cash", idempotency_key=key()
    )
    points_adjust(actor=owner, card_id=c.pk, delta=500, reason="开卡礼", idempotency_key=key())
    return c


def add(client: Client, c: Card, query: str, **extra: str):
    return client.post(f"/cards/{c.pk}/holders/new/", {"member": query, **extra})


# ------------------------------------------------------------------------------ adding


def test_add_holder_by_member_number(cashier_client, family, cashier):
    primary = family.member
    page = cashier_client.get(f"/members/{primary.pk}/").content.decode()
    block = panel_of(page, family.number)
    assert 'data-testid="action-add-holder"' in block
    assert f"/cards/{family.pk}/holders/new/?next=/members/{primary.pk}/" in block
    assert 'data-testid="holder-count">1 / 3 人' in block

    form = cashier_client.get(f"/cards/{family.pk}/holders/new/").content.decode()
    assert "添加持卡人" in form and "会员号或手机号" in form

    wife = member(cashier, name="李四")
    response = add(cashier_client, family, wife.code, next=f"/members/{primary.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/members/{primary.pk}/"
    assert list(CardHolder.objects.values_list("card_id", "member_id")) == [(family.pk, wife.pk)]
    event = AuditEvent.objects.get(action="card.holder_added")
    assert (event.subject_id, event.member_id) == (str(family.pk), wife.pk)
    assert event.after == {"number": family.number, "holder": wife.code}

    page = cashier_client.get(f"/members/{primary.pk}/").content.decode()
    assert f"李四（{wife.code}）已加入卡 {family.number}，与主卡人共用余额和积分。" in page
    block = panel_of(page, family.number)
    assert 'data-testid="holder-count">2 / 3 人' in block
    assert f'href="/members/{primary.pk}/"' in block and f'href="/members/{wife.pk}/"' in block
    assert "张三 · 主卡人" in text(block)


def test_add_holder_by_mobile_typed_with_spaces(cashier_client, family, make_member):
    son = make_member(name="张小三", mobile="13912345678")
    response = add(cashier_client, family, "139 1234 5678")
    assert response.status_code == 302
    assert response["Location"] == f"/members/{family.member_id}/"
    assert CardHolder.objects.get().member_id == son.pk


def test_shared_wallet_shows_on_both_pages(cashier_client, family, cashier):
    wife = member(cashier, name="李四")
    card_services.card_add_holder(actor=cashier, card_id=family.pk, member_id=wife.pk)
    pages = {
        who.pk: panel_of(cashier_client.get(f"/members/{who.pk}/").content.decode(), family.number)
        for who in (family.member, wife)
    }
    for block in pages.values():
        assert 'data-testid="principal">¥300.00' in block
        assert 'data-testid="bonus">¥0.00' in block
        assert 'data-testid="points">500' in block
        assert "家庭卡 · 主卡人 张三" in text(block)
    # On the secondary holder's page the card says whose it is, and links there.
    secondary = pages[wife.pk]
    assert "本会员共用此卡" in secondary
    assert f'主卡人 <a href="/members/{family.member_id}/">张三</a>' in secondary
    assert "本会员共用此卡" not in pages[family.member_id]
    # The counter finds the shared card by the secondary holder's member number too.
    hub = cashier_client.get("/counter/", {"q": wife.code}).content.decode()
    assert f'data-card="{family.number}"' in hub
    assert "家庭卡 · 主卡人 张三" in text(hub)


def test_member_page_reads_holders_in_one_query(cashier_client, family, cashier):
    primary = family.member
    card_services.card_add_holder(
        actor=cashier, card_id=family.pk, member_id=member(cashier, name="李四").pk
    )

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert cashier_client.get(f"/members/{primary.pk}/").status_code == 200
        return len(ctx.captured_queries)

    one = queries()
    card_services.card_add_holder(
        actor=cashier, card_id=family.pk, member_id=member(cashier, name="王五").pk
    )
    assert queries() == one


# ----------------------------------------------------------------------------- refusals


def test_too_many_holders_refused(cashier_client, family, cashier):
    for name in ("李四", "王五"):
        card_services.card_add_holder(
            actor=cashier, card_id=family.pk, member_id=member(cashier, name=name).pk
        )
    page = cashier_client.get(f"/members/{family.member_id}/").content.decode()
    block = panel_of(page, family.number)
    assert 'data-testid="holder-count">3 / 3 人' in block
    assert 'data-testid="action-add-holder"' not in block
    fourth = member(cashier, name="赵六")
    before = state()
    response = add(cashier_client, family, fourth.code)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="form-error"' in html
    assert "该卡类型不能再添加持卡人。" in html
    assert state() == before


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("99999999", "没有会员号或手机号为“99999999”的会员。"),
        ("5678", "“5678”对应多位会员，请输入完整的会员号或手机号。"),
        ("", "这个字段是必填项。"),
    ],
)
def test_lookup_needs_exactly_one_member(cashier_client, family, make_member, query, message):
    make_member(name="甲", mobile="13800005678")
    make_member(name="乙", mobile="13900005678")
    before = state()
    response = add(cashier_client, family, query)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert state() == before


def test_existing_holder_refused(cashier_client, family, cashier):
    wife = member(cashier, name="李四")
    card_services.card_add_holder(actor=cashier, card_id=family.pk, member_id=wife.pk)
    before = state()
    for who in (wife, family.member):
        html = add(cashier_client, family, who.code).content.decode()
        assert "该会员已持有此卡。" in html
    assert state() == before


def test_personal_card_has_no_holders(cashier_client, owner, cashier):
    personal = card(cashier, owner, ctype=card_type(owner))
    page = cashier_client.get(f"/members/{personal.member_id}/").content.decode()
    block = panel_of(page, personal.number)
    assert 'data-testid="card-actions"' in block
    assert 'data-testid="action-add-holder"' not in block
    assert 'data-testid="card-holders"' not in block
    assert 'data-testid="card-primary"' not in block
    other = member(cashier, name="李四")
    before = state()
    html = add(cashier_client, personal, other.code).content.decode()
    assert "该卡类型不能再添加持卡人。" in html
    assert state() == before


@pytest.mark.parametrize("role", [Role.CALL_CENTER, Role.MARKETER])
def test_add_holder_forbidden(client_for, family, cashier, role):
    client = client_for(role)
    page = client.get(f"/members/{family.member_id}/").content.decode()
    assert 'data-testid="card-holders"' in page
    assert 'data-testid="action-add-holder"' not in page
    assert client.get(f"/cards/{family.pk}/holders/new/").status_code == 403
    other = member(cashier, name="李四")
    before = state()
    assert add(client, family, other.code).status_code == 403
    assert state() == before


def test_unknown_card_is_404(cashier_client, stores):
    assert cashier_client.get("/cards/999999/holders/new/").status_code == 404
