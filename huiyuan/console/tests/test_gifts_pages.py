"""Gift, lottery and check-in pages: they render for the roles that may see them, and the
counter redemption page redeems."""

from __future__ import annotations

import pytest
from django.test import Client

from huiyuan.core.permissions import Role
from huiyuan.gifts import services
from huiyuan.gifts.models import Gift, Redemption
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.points.services import points_adjust

pytestmark = pytest.mark.django_db


def client_for(staff) -> Client:
    c = Client()
    c.force_login(staff)
    return c


@pytest.fixture
def gift(owner) -> Gift:
    return services.gift_create(
        actor=owner, data=services.GiftInput(code="CUP", name="保温杯", points_price=300), stock=4
    )


def test_pages_render(staff, gift, owner, cashier):
    lottery = services.lottery_create(
        actor=owner,
        name="转盘",
        cost_points=10,
        prizes=[services.PrizeInput(kind="nothing", weight=1)],
    )
    hq = client_for(staff[Role.HQ_ADMIN])
    for url in [
        "/gifts/",
        "/gifts/new/",
        f"/gifts/{gift.pk}/",
        f"/gifts/{gift.pk}/edit/",
        "/gifts/redeem/",
        "/gifts/redemptions/",
        "/gifts/distributions/",
        "/lotteries/",
        "/lotteries/new/",
        f"/lotteries/{lottery.pk}/",
        "/checkin/",
        "/checkin/settings/",
    ]:
        response = hq.get(url)
        assert response.status_code == 200, url
    cashier_client = client_for(staff[Role.CASHIER])
    assert cashier_client.get("/gifts/redeem/").status_code == 200
    assert cashier_client.get("/gifts/new/").status_code == 403
    assert cashier_client.get("/checkin/settings/").status_code == 403


def test_counter_redemption_takes_points_and_stock(staff, gift, cashier, owner):
    c = card(cashier, owner)
    points_adjust(actor=owner, card_id=c.pk, delta=1000, reason="赠送", idempotency_key=key())
    client = client_for(staff[Role.CASHIER])
    page = client.get(f"/gifts/redeem/?card={c.number}")
    assert page.status_code == 200 and "保温杯" in page.content.decode()
    response = client.post(
        "/gifts/redeem/",
        {
            "card": c.number,
            "gift": gift.pk,
            "quantity": 2,
            "cash_method": "",
            "idempotency_key": key(),
        },
    )
    assert response.status_code == 302
    assert balances(c)["points"] == 400
    gift.refresh_from_db()
    assert gift.stock == 2
    r = Redemption.objects.get()
    client.post(f"/gifts/redemptions/{r.pk}/pick-up/")
    r.refresh_from_db()
    assert r.status == "picked_up"


def test_restock_and_delist_from_the_gift_page(staff, gift):
    hq = client_for(staff[Role.HQ_ADMIN])
    hq.post(f"/gifts/{gift.pk}/", {"delta": 6, "reason": "采购", "idempotency_key": key()})
    hq.post(f"/gifts/{gift.pk}/status/", {"status": "delisted"})
    gift.refresh_from_db()
    assert (gift.stock, gift.status) == (10, "delisted")


@pytest.mark.parametrize(
    ("freeze", "reason"),
    [
        ("spend_frozen", "消费已冻结：不能用储值和积分支付。"),
        ("lost", "此卡已挂失：请先解挂或补卡。"),
    ],
)
def test_the_redeem_button_of_a_blocked_card_is_disabled(
    staff, gift, cashier, owner, freeze, reason
):
    """Points pay for a gift: a spend-frozen member or a lost card disables the button with
    the counter's reason (console/counter/panel.py); forced anyway, nothing is taken."""
    from huiyuan.cards.services import card_report_lost
    from huiyuan.members.services import member_freeze

    c = card(cashier, owner)
    points_adjust(actor=owner, card_id=c.pk, delta=1000, reason="赠送", idempotency_key=key())
    if freeze == "spend_frozen":
        member_freeze(actor=owner, member_id=c.member_id, earning=False, spending=True, reason="x")
    else:
        card_report_lost(actor=owner, card_id=c.pk, reason="顾客挂失")
    client = client_for(staff[Role.CASHIER])
    html = client.get(f"/gifts/redeem/?card={c.number}").content.decode()
    button = html.split('data-testid="submit"')[1].split(">")[0]
    assert "disabled" in button and 'aria-describedby="submit-blocked"' in button
    assert reason in html.split('data-testid="blocked-reason">')[1].split("</div>")[0]
    response = client.post(
        "/gifts/redeem/",
        {"card": c.number, "gift": gift.pk, "quantity": 1, "idempotency_key": key()},
    )
    assert response.status_code == 200
    assert not Redemption.objects.exists()
    assert balances(c)["points"] == 1000
    gift.refresh_from_db()
    assert gift.stock == 4


def test_the_redeem_button_of_a_usable_card_is_enabled(staff, gift, cashier, owner):
    c = card(cashier, owner)
    html = client_for(staff[Role.CASHIER]).get(f"/gifts/redeem/?card={c.number}").content.decode()
    assert "disabled" not in html.split('data-testid="submit"')[1].split(">")[0]
    assert 'data-testid="blocked-reason"' not in html
