"""Counter card pages (issue, lost, found, reissue, renew, cancel), card images, the member
page's money sections, tier moves, the full ledger, and the counter's scan page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import services as card_services
from huiyuan.cards.models import Card
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import QuickSaleInput, sale_quick, sale_quote
from huiyuan.core.permissions import Role
from huiyuan.ledger.models import Entry, Operation
from huiyuan.ledger.tests.factories import balances, card, card_type, default_rule, key, lots
from huiyuan.points.explain import render_step
from huiyuan.points.services import points_adjust
from huiyuan.tiers.models import TierChange
from huiyuan.tiers.services import tier_create
from huiyuan.wallet.services import recharge_package_create, wallet_recharge

pytestmark = pytest.mark.django_db


def state() -> tuple:
    return (
        list(Card.objects.order_by("pk").values()),
        Entry.objects.count(),
        Operation.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def funded(owner, cashier):
    default_rule(owner)
    c = card(cashier, owner, ctype=card_type(owner, validity_months=24))
    package = recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)
    wallet_recharge(
        actor=cashier,
        card_id=c.pk,
        amount_fen=50000,
        method="cash",
        package_id=package.pk,
        idempotency_key=key(),
    )
    points_adjust(actor=owner, card_id=c.pk, delta=1000, reason="开卡礼", idempotency_key=key())
    return c


# ---------------------------------------------------------------------------- card issue


def test_issue_electronic_and_physical_cards(cashier_client: Client, owner, make_member):
    ctype = card_type(owner, validity_months=12)
    member = make_member()
    page = cashier_client.get(f"/members/{member.pk}/cards/new/").content.decode()
    assert "普通卡" in page
    response = cashier_client.post(
        f"/members/{member.pk}/cards/new/", {"card_type": ctype.pk, "idempotency_key": "i1"}
    )
    assert response["Location"] == f"/members/{member.pk}/"
    # A double submit with the same key issues nothing more.
    cashier_client.post(
        f"/members/{member.pk}/cards/new/", {"card_type": ctype.pk, "idempotency_key": "i1"}
    )
    assert Card.objects.filter(member=member).count() == 1
    response = cashier_client.post(
        f"/members/{member.pk}/cards/new/",
        {"card_type": ctype.pk, "number": "88880001", "idempotency_key": "i2"},
    )
    assert response.status_code == 302
    assert sorted(len(c.number) for c in Card.objects.filter(member=member)) == [8, 16]
    before = state()
    response = cashier_client.post(
        f"/members/{member.pk}/cards/new/",
        {"card_type": ctype.pk, "number": "88880001", "idempotency_key": "i3"},
    )
    assert "该卡号已被使用" in response.content.decode()
    response = cashier_client.post(
        f"/members/{member.pk}/cards/new/",
        {"card_type": ctype.pk, "number": "12-34", "idempotency_key": "i4"},
    )
    assert "6–32 位" in response.content.decode()
    assert state() == before


def test_issue_forbidden(client_for, owner, make_member):
    ctype = card_type(owner)
    member = make_member()
    client = client_for(Role.MARKETER)
    assert client.get(f"/members/{member.pk}/cards/new/").status_code == 403
    before = state()
    response = client.post(
        f"/members/{member.pk}/cards/new/", {"card_type": ctype.pk, "idempotency_key": "i5"}
    )
    assert response.status_code == 403
    assert state() == before


# ------------------------------------------------------------------------ card lifecycle


def test_report_lost_then_found(cashier_client, funded):
    response = cashier_client.post(f"/cards/{funded.pk}/lost/", {"reason": "钱包丢了"})
    assert response["Location"] == f"/members/{funded.member_id}/"
    funded.refresh_from_db()
    assert funded.status == "lost"
    page = cashier_client.get(f"/members/{funded.member_id}/").content.decode()
    assert "已挂失：停止一切使用" in page
    before = state()
    response = cashier_client.post(f"/cards/{funded.pk}/lost/", {"reason": "again"})
    assert 'data-testid="form-error"' in response.content.decode()
    assert "正常状态的卡" in response.content.decode()
    assert state() == before
    assert cashier_client.post(f"/cards/{funded.pk}/found/", {"reason": ""}).status_code == 302
    funded.refresh_from_db()
    assert funded.status == "active"


def test_report_lost_needs_a_reason(cashier_client, funded):
    before = state()
    response = cashier_client.post(f"/cards/{funded.pk}/lost/", {"reason": ""})
    assert "这个字段是必填项" in response.content.decode()
    assert state() == before


def test_reissue_moves_everything_once(cashier_client, funded, cashier):
    card_services.card_report_lost(actor=cashier, card_id=funded.pk, reason="丢了")
    before_lots = sorted((k, a, r) for k, a, r in lots(funded) if r)
    page = cashier_client.get(f"/cards/{funded.pk}/reissue/").content.decode()
    reissue_key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    data = {"number": "66660000123", "reason": "丢失补卡", "idempotency_key": reissue_key}
    first = cashier_client.post(f"/cards/{funded.pk}/reissue/", data)
    second = cashier_client.post(f"/cards/{funded.pk}/reissue/", data)
    assert first.status_code == second.status_code == 302
    assert Card.objects.filter(member=funded.member).count() == 2
    new = Card.objects.get(number="66660000123")
    funded.refresh_from_db()
    assert (funded.status, funded.replaced_by_id) == ("void", new.pk)
    assert balances(new) == {"principal": 50000, "bonus": 5000, "points": 1000}
    assert balances(funded) == {"principal": 0, "bonus": 0, "points": 0}
    assert sorted((k, a, r) for k, a, r in lots(new)) == before_lots
    page = cashier_client.get(first["Location"]).content.decode()
    assert "66660000123" in page and "本金 ¥500.00，赠送金 ¥50.00，积分 1,000" in page
    assert 'data-status="void"' in page
    before = state()
    response = cashier_client.post(
        f"/cards/{funded.pk}/reissue/", {"number": "", "reason": "", "idempotency_key": key()}
    )
    assert "不能补卡" in response.content.decode()
    assert state() == before


def test_renew(cashier_client, funded):
    old = funded.expires_at
    assert cashier_client.post(f"/cards/{funded.pk}/renew/", {"months": "12"}).status_code == 302
    funded.refresh_from_db()
    assert (funded.expires_at.year - old.year, funded.expires_at.month) == (1, old.month)


def test_renew_refused_for_a_card_without_expiry(cashier_client, owner, cashier):
    c = card(cashier, owner)
    before = state()
    response = cashier_client.post(f"/cards/{c.pk}/renew/", {"months": ""})
    assert "长期有效" in response.content.decode()
    assert state() == before


def test_cancel_refused_while_the_card_holds_value(cashier_client, funded, owner, cashier):
    before = state()
    response = cashier_client.post(f"/cards/{funded.pk}/cancel/", {"reason": "不用了"})
    assert "卡内仍有储值" in response.content.decode()
    assert state() == before
    empty = card(cashier, owner)
    assert cashier_client.post(f"/cards/{empty.pk}/cancel/", {"reason": "x"}).status_code == 302
    empty.refresh_from_db()
    assert empty.status == "cancelled"


@pytest.mark.parametrize("action", ["lost", "found", "reissue", "renew", "cancel"])
def test_card_actions_forbidden(client_for, funded, action):
    client = client_for(Role.CALL_CENTER)
    assert client.get(f"/cards/{funded.pk}/{action}/").status_code == 403
    before = state()
    data = {"reason": "x", "months": "1", "idempotency_key": key()}
    assert client.post(f"/cards/{funded.pk}/{action}/", data).status_code == 403
    assert state() == before


def test_unknown_card_is_404(cashier_client, stores):
    assert cashier_client.get("/cards/999/lost/").status_code == 404
    assert cashier_client.get("/cards/999/qr.svg").status_code == 404


# -------------------------------------------------------------------------- card images


def test_qr_and_barcode_are_svg(cashier_client, funded):
    for kind in ("qr", "barcode"):
        response = cashier_client.get(f"/cards/{funded.pk}/{kind}.svg")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        assert b"<svg" in response.content


def test_card_images_need_member_view(client_for, funded):
    assert client_for(Role.MARKETER).get(f"/cards/{funded.pk}/qr.svg").status_code == 200
    assert Client().get(f"/cards/{funded.pk}/qr.svg").status_code == 302  # to the login


# ------------------------------------------------------------------------ the member page


def test_member_page_money_sections(client_for, funded, cashier):
    sale = sale_quick(
        actor=cashier,
        data=QuickSaleInput(
            amount_fen=10000, card_id=funded.pk, balance_fen=10000, category="92#汽油"
        ),
        idempotency_key=key(),
    )
    html = client_for(Role.STORE_MANAGER).get(f"/members/{funded.member_id}/").content.decode()
    assert funded.number in html
    assert 'data-testid="principal">¥400.00' in html
    assert 'data-testid="bonus">¥50.00' in html
    assert 'data-testid="points">1100' in html
    assert f"/cards/{funded.pk}/qr.svg" in html and f"/cards/{funded.pk}/barcode.svg" in html
    # Ledger: operations in Chinese, newest first, with the balance after.
    assert html.index("消费积分") < html.index("充值赠送")
    assert "本金支付" in html and "-¥100.00" in html and "¥400.00" in html
    # Lots with source and expiry; the sale with a link to its receipt.
    assert "手工调整" in html and "充值赠送" in html
    assert f"/sales/{sale.pk}/" in html
    # Actions for a manager: every one of them.
    for label in ("充值", "退款", "积分调整", "挂失", "补卡", "续期", "注销", "发卡"):
        assert label in html


def test_member_page_actions_follow_permissions(client_for, funded):
    html = client_for(Role.MARKETER).get(f"/members/{funded.member_id}/").content.decode()
    assert 'data-testid="member-card"' in html
    assert 'data-testid="card-actions"' in html  # the block, but with no buttons in it
    for url in ("/counter/recharge/", "/counter/refund/", "/counter/points/", "/lost/"):
        assert url not in html
    cashier_html = client_for(Role.CASHIER).get(f"/members/{funded.member_id}/").content.decode()
    assert "/counter/recharge/" in cashier_html and "/lost/" in cashier_html
    # A cashier refunds with a manager's authorisation (the refund page asks for it).
    assert "/counter/refund/" in cashier_html and "/counter/points/" not in cashier_html


def test_member_page_without_cards(cashier_client, make_member):
    member = make_member()
    html = cashier_client.get(f"/members/{member.pk}/").content.decode()
    assert "还没有会员卡" in html


def test_member_page_shows_expired_not_swept(client_for, funded):
    from django.utils import timezone

    from huiyuan.ledger.models import Lot

    Lot.objects.filter(account__card_id=funded.pk, account__kind="bonus").update(
        expires_at=timezone.now()
    )
    html = client_for(Role.STORE_MANAGER).get(f"/members/{funded.member_id}/").content.decode()
    assert 'data-testid="bonus">¥0.00' in html
    assert "含已过期未清零共 ¥50.00" in html


def test_full_ledger_is_paged(client_for, funded, owner):
    for i in range(60):
        points_adjust(
            actor=owner, card_id=funded.pk, delta=1, reason=f"#{i}", idempotency_key=key()
        )
    client = client_for(Role.STORE_MANAGER)
    html = client.get(f"/members/{funded.member_id}/").content.decode()
    assert f"/members/{funded.member_id}/ledger/" in html
    page1 = client.get(f"/members/{funded.member_id}/ledger/").content.decode()
    page2 = client.get(f"/members/{funded.member_id}/ledger/?page=2").content.decode()
    assert page1.count('<tr data-op="') == 50
    assert page2.count('<tr data-op="') == 13  # 60 adjustments + recharge (2) + 1 = 63
    assert "第 1 页，共 2 页" in page1


# ---------------------------------------------------------------------------- tier move


@pytest.fixture
def tiers(owner):
    return (
        tier_create(actor=owner, code="base", name="普通会员", level=1),
        tier_create(actor=owner, code="gold", name="金卡会员", level=2, discount_permille=950),
    )


def test_tier_move(client_for, funded, tiers):
    client = client_for(Role.STORE_MANAGER)
    html = client.get(f"/members/{funded.member_id}/").content.decode()
    assert 'data-testid="tier-form"' in html
    response = client.post(
        f"/members/{funded.member_id}/tier/",
        {"tier": tiers[1].pk, "reason": "VIP 客户", "protected_until": "2030-12-31"},
    )
    assert response.status_code == 302
    change = TierChange.objects.get()
    assert (change.to_tier, change.kind, change.reason) == (tiers[1], "manual", "VIP 客户")
    html = client.get(f"/members/{funded.member_id}/").content.decode()
    assert "手工调级" in html and "金卡会员" in html
    response = client.post(f"/members/{funded.member_id}/tier/", {"tier": tiers[0].pk}, follow=True)
    assert "这个字段是必填项" in response.content.decode()
    assert TierChange.objects.count() == 1


def test_tier_move_forbidden_for_cashier(cashier_client, funded, tiers):
    html = cashier_client.get(f"/members/{funded.member_id}/").content.decode()
    assert 'data-testid="tier-form"' not in html
    response = cashier_client.post(
        f"/members/{funded.member_id}/tier/", {"tier": tiers[1].pk, "reason": "x"}
    )
    assert response.status_code == 403
    assert not TierChange.objects.exists()


# ------------------------------------------------------------------------- counter hub


def test_counter_scan_finds_by_number_and_mobile(cashier_client, funded):
    html = cashier_client.get(f"/counter/?q={funded.number}").content.decode()
    assert 'data-testid="card-panel"' in html and 'data-testid="tile-sale"' in html
    html = cashier_client.get(f"/counter/?q={funded.member.mobile}").content.decode()
    assert f'data-card="{funded.number}"' in html
    html = cashier_client.get("/counter/?q=00000000").content.decode()
    assert "没有找到" in html


def test_counter_scan_box_posts_what_it_read(cashier_client, funded):
    """The scan box sends a mobile in the body, not in the URL (access logs)."""
    page = cashier_client.get("/counter/").content.decode()
    assert 'method="post" action="/counter/"' in page
    html = cashier_client.post("/counter/", {"q": funded.member.mobile}).content.decode()
    assert f'data-card="{funded.number}"' in html


# ----------------------------------------------------------------- the quote is the truth


@pytest.mark.parametrize(
    ("amount", "balance", "points"),
    [(56000, 50000, 500), (10000, 0, 0), (9999, 3000, 1000), (123, 90, 20)],
)
def test_quote_matches_the_sale(funded, cashier, owner, tiers, amount, balance, points):
    from huiyuan.tiers.services import tier_move

    tier_move(actor=owner, member_id=funded.member_id, tier_id=tiers[1].pk, reason="VIP")
    quote = sale_quote(
        actor=cashier, amount_fen=amount, card_id=funded.pk, points=points, balance_fen=balance
    )
    assert not quote.overpaid
    sale = sale_quick(
        actor=cashier,
        data=QuickSaleInput(
            amount_fen=amount,
            card_id=funded.pk,
            balance_fen=balance,
            points=points,
            external_method="cash",
        ),
        idempotency_key=key(),
    )
    assert (quote.payable_fen, quote.discount_fen) == (sale.payable_fen, sale.discount_fen)
    assert quote.points_offset_fen == sale.points_offset_fen
    assert quote.external_fen == sale.paid_external_fen
    assert quote.tier_name == "金卡会员"


def test_quote_limits(funded, cashier):
    quote = sale_quote(actor=cashier, amount_fen=1000, card_id=funded.pk)
    assert quote.max_points == 500  # half of ¥10 at 100 points a yuan
    assert quote.max_balance_fen == 1000
    assert (quote.available_fen, quote.available_points) == (55000, 1000)
    walk_in = sale_quote(actor=cashier, amount_fen=100, points=60, balance_fen=150)
    assert walk_in.overpaid and walk_in.overpaid_fen == 50
    assert (walk_in.points_used, walk_in.points_offset_fen) == (0, 0)  # no card: no points
    assert Sale.objects.count() == 0


def test_explanation_steps_in_chinese():
    # Old receipts stored English sentences; they read the same as structured steps.
    assert (
        render_step("base v1: 51500 fen / 100 = 515 units (floor) x 1 = 515 points")
        == "base v1：实付 ¥515.00，每 ¥1.00 为一单位 = 515 单位（不足一单位部分不积分）× 1 = 515 分"
    )
    assert render_step({"code": "tier", "tier": "gold", "pct": 150}) == "等级 gold：× 150%"
    assert render_step("something new") == "something new"
