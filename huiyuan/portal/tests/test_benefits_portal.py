"""我的权益卡 in the portal: the card in force with its privileges (words and yuan), valid
until, free uses left this period and history; shown only when plans exist; another
member's card is 404; buying online through the sandbox opens the card."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from huiyuan.benefits import rules
from huiyuan.benefits.models import MemberBenefit
from huiyuan.benefits.tests.conftest import sell, shop  # noqa: F401 - fixtures
from huiyuan.core.clock import local_date
from huiyuan.ledger.tests.factories import key
from huiyuan.packages.services import package_use
from huiyuan.payments.models import OnlineOrder
from huiyuan.payments.tests.test_notifications import _paid, _post
from huiyuan.portal.tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENTS_PROVIDERS = ["sandbox"]
    settings.PAYMENTS_SANDBOX_KEY = "sandbox-test-key"


def test_the_section_shows_only_when_plans_exist(member_client, request):
    client, _me, _card = member_client
    body = client.get("/m/me/").content.decode()
    assert "/m/benefits/" not in body and "我的权益卡" not in body
    request.getfixturevalue("shop")  # now the plans exist
    body = client.get("/m/me/").content.decode()
    assert 'href="/m/benefits/"' in body and "我的权益卡" in body


def test_my_card_with_privileges_free_uses_and_history(member_client, shop, sell, cashier):  # noqa: F811
    client, me, my_card = member_client
    sell(my_card, shop.silver.product_id)
    benefit = MemberBenefit.objects.get(member=me)
    package_use(actor=cashier, package_id=benefit.package_id, idempotency_key=key())
    sell(my_card, shop.silver.product_id)  # renewed: one more month after the last day
    benefit.refresh_from_db()
    response = client.get("/m/benefits/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "银卡月卡" in body and benefit.code in body
    assert f"有效期至 {benefit.valid_until:%Y-%m-%d}" in body
    assert "洗车再享9折" in body  # the category discount in words
    assert "积分 × 150%" in body
    assert "每月免费洗车 2 次" in body
    assert "预约优先" in body
    assert "每月剩余免费次数：1 / 2" in body
    assert "本卡已付：¥60.00" in body
    assert "续费" in body and "¥30.00" in body  # the renewal in the history, and its price
    assert 'data-testid="plan-SILVER"' in body  # renew online: only the plan held
    assert 'data-testid="plan-GOLD"' not in body


def test_member_prices_are_shown_in_yuan(member_client, shop, sell):  # noqa: F811
    client, _me, my_card = member_client
    sell(my_card, shop.gold.product_id, cash=30000)
    body = client.get("/m/benefits/").content.decode()
    assert "打蜡会员价 ¥50.00（原价 ¥80.00）" in body
    assert "省 ¥30.00" in body
    assert "全场再享8折" in body


def test_another_members_card_is_not_found(member_client, member_with_card, shop, sell):  # noqa: F811
    client, me, my_card = member_client
    other, other_card = member_with_card("李四")
    sell(my_card, shop.silver.product_id)
    sell(other_card, shop.silver.product_id)
    mine = MemberBenefit.objects.get(member=me)
    theirs = MemberBenefit.objects.get(member=other)
    assert client.get(f"/m/benefits/{mine.pk}/").status_code == 200
    response = client.get(f"/m/benefits/{theirs.pk}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert theirs.code not in body and other.name not in body
    assert client.get("/m/benefits/999999/").status_code == 404


def test_buy_online_through_the_sandbox(member_client, shop, client):  # noqa: F811
    member_c, me, my_card = member_client
    page = member_c.get("/m/benefits/").content.decode()
    assert "开通权益卡" in page and 'data-testid="plan-GOLD"' in page
    response = member_c.post("/m/benefits/", {"plan": str(shop.silver.pk), "provider": "sandbox"})
    order = OnlineOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/pay/sandbox/{order.number}/"
    assert (order.purpose, order.amount_fen, order.card_id) == ("benefit_buy", 3000, my_card.pk)
    result = member_c.get(f"/m/benefits/orders/{order.number}/").content.decode()
    assert 'data-status="pending"' in result
    assert _post(client, _paid(order)).status_code == 200
    result = member_c.get(f"/m/benefits/orders/{order.number}/").content.decode()
    assert 'data-status="paid"' in result and "开通权益卡" in result
    benefit = MemberBenefit.objects.get(member=me)
    today = local_date(timezone.now())
    assert benefit.valid_until == rules.valid_until(today, "month")
    assert f"有效期至 {benefit.valid_until:%Y-%m-%d}" in result


def test_buying_another_plan_while_holding_one_is_refused(member_client, shop, sell):  # noqa: F811
    client, _me, my_card = member_client
    sell(my_card, shop.silver.product_id)
    response = client.post("/m/benefits/", {"plan": str(shop.gold.pk), "provider": "sandbox"})
    assert response.status_code == 200
    assert "您已持有银卡月卡：如需升级请到门店办理。" in response.content.decode()
    assert OnlineOrder.objects.count() == 0


def test_another_members_order_is_not_found(member_client, member_with_card, shop):  # noqa: F811
    client, _me, _my_card = member_client
    client.post("/m/benefits/", {"plan": str(shop.silver.pk), "provider": "sandbox"})
    order = OnlineOrder.objects.get()
    other, _card = member_with_card("李四")
    stranger = sign_in(Client(), other)
    assert stranger.get(f"/m/benefits/orders/{order.number}/").status_code == 404
