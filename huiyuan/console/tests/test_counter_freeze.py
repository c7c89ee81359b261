"""The counter shows a member's freeze before anything is submitted: the card panel's status
badge reads 已冻结（积分/消费） instead of 正常, and the recharge page warns that no bonus will be
given while earning is frozen (docs/money-rules.md)."""

from __future__ import annotations

import re

import pytest

from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.members.services import member_freeze
from huiyuan.wallet.models import Recharge
from huiyuan.wallet.services import recharge_package_create

pytestmark = pytest.mark.django_db

NO_BONUS = "该会员已冻结积分：本次充值不送赠送金。"


@pytest.fixture
def package(owner):
    return recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)


def status_badge(html: str) -> str:
    match = re.search(r'data-testid="card-status"[^>]*>(.*?)</span>', html, re.S)
    assert match, "the card panel shows a status badge"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def freeze(owner, c, *, earning: bool, spending: bool) -> None:
    member_freeze(
        actor=owner, member_id=c.member_id, earning=earning, spending=spending, reason="风控核查"
    )


def recharge_page(client, c) -> str:
    return client.get(f"/counter/recharge/?card={c.number}").content.decode()


def test_an_unfrozen_member_shows_the_card_status_and_no_warning(
    cashier_client, owner, cashier, package
):
    c = card(cashier, owner)
    html = recharge_page(cashier_client, c)
    assert status_badge(html) == "正常"
    assert NO_BONUS not in html
    assert "+¥50.00" in html


@pytest.mark.parametrize(
    ("earning", "spending", "badge", "warns"),
    [
        (True, True, "已冻结（积分/消费）", True),
        (True, False, "已冻结（积分）", True),
        (False, True, "已冻结（消费）", False),
    ],
)
def test_a_frozen_member_shows_the_freeze_instead_of_active(
    cashier_client, owner, cashier, package, earning, spending, badge, warns
):
    c = card(cashier, owner)
    freeze(owner, c, earning=earning, spending=spending)
    html = recharge_page(cashier_client, c)
    assert status_badge(html) == badge
    assert (NO_BONUS in html) is warns
    # The package chip no longer promises a bonus that will not be given.
    assert ("+¥50.00" in html) is not warns
    panel = html[html.index('data-testid="card-panel"') :]
    assert ("不积分，充值不送赠送金" in panel) is earning
    assert ("不能使用储值和积分付款" in panel) is spending
    assert "风控核查" in panel
    # Every counter page with the card panel shows the same badge.
    sale = cashier_client.get(f"/counter/sale/?q={c.number}").content.decode()
    assert status_badge(sale) == badge


def test_a_frozen_member_recharge_from_the_page_gets_no_bonus(
    cashier_client, owner, cashier, package
):
    c = card(cashier, owner)
    freeze(owner, c, earning=True, spending=True)
    response = cashier_client.post(
        "/counter/recharge/",
        {
            "card": c.number,
            "amount": "500",
            "method": "cash",
            "package": package.pk,
            "idempotency_key": key(),
        },
    )
    assert response.status_code == 302
    assert balances(c) == {"principal": 50000, "bonus": 0, "points": 0}
    assert Recharge.objects.get().bonus_fen == 0


def test_a_lost_card_keeps_its_own_status(cashier_client, owner, cashier):
    from huiyuan.cards.services import card_report_lost

    c = card(cashier, owner)
    freeze(owner, c, earning=True, spending=True)
    card_report_lost(actor=cashier, card_id=c.pk, reason="丢了")
    html = recharge_page(cashier_client, c)
    assert status_badge(html) == "已挂失"
