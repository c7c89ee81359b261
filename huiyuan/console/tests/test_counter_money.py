"""Counter pages that move money and points: recharge, refund, points, quick consumption,
receipt and reversal, supplementary points. Exact balances on success; nothing changes on a
refusal; one effect per idempotency key; 403 for roles without the permission."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from conftest import make_staff
from huiyuan.audit.models import AuditEvent
from huiyuan.cards import services as card_services
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.permissions import Role
from huiyuan.ledger.models import Entry, Operation
from huiyuan.ledger.tests.factories import balances, card, default_rule, key, lots
from huiyuan.points.services import points_adjust
from huiyuan.tiers.services import tier_create, tier_move
from huiyuan.wallet.models import Recharge, Refund
from huiyuan.wallet.services import recharge_package_create, wallet_recharge

pytestmark = pytest.mark.django_db


def state(c) -> tuple:
    """Everything a refused request must leave unchanged."""
    return (
        balances(c),
        lots(c),
        Entry.objects.count(),
        Operation.objects.count(),
        Sale.objects.count(),
        AuditEvent.objects.count(),
    )


def page_key(html: str) -> str:
    match = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html)
    assert match, "the form carries a fresh idempotency key"
    return match.group(1)


@pytest.fixture
def package(owner):
    return recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)


@pytest.fixture
def plain(owner, cashier):
    """A fresh card with nothing on it (the earn rule gives 1 point per yuan)."""
    default_rule(owner)
    return card(cashier, owner)


@pytest.fixture
def funded(plain, cashier, owner, package):
    """¥500 principal, ¥50 bonus (package) and 1,000 points."""
    wallet_recharge(
        actor=cashier,
        card_id=plain.pk,
        amount_fen=50000,
        method="cash",
        package_id=package.pk,
        idempotency_key=key(),
    )
    points_adjust(actor=owner, card_id=plain.pk, delta=1000, reason="开卡礼", idempotency_key=key())
    return plain


# ------------------------------------------------------------------------------ recharge


def test_recharge_page_finds_the_card_and_offers_packages(cashier_client, plain, package):
    html = cashier_client.get(f"/counter/recharge/?card={plain.number}").content.decode()
    assert plain.number in html
    assert "充500送50" in html
    assert 'data-pay="500.00"' in html
    page_key(html)
    # Two renders, two keys: a reload is a new recharge.
    assert page_key(html) != page_key(
        cashier_client.get(f"/counter/recharge/?card={plain.number}").content.decode()
    )


def test_recharge_page_scan_by_mobile(cashier_client, plain):
    mobile = plain.member.mobile
    html = cashier_client.get(f"/counter/recharge/?card={mobile}").content.decode()
    assert f'name="card" value="{plain.number}"' in html


def test_recharge_with_package(cashier_client: Client, plain, package):
    response = cashier_client.post(
        "/counter/recharge/",
        {
            "card": plain.number,
            "amount": "500",
            "method": "wechat",
            "package": package.pk,
            "idempotency_key": key(),
        },
    )
    assert response.status_code == 302
    assert balances(plain) == {"principal": 50000, "bonus": 5000, "points": 0}
    recharge = Recharge.objects.get()
    assert (recharge.method, recharge.principal_fen, recharge.bonus_fen) == ("wechat", 50000, 5000)
    assert response["Location"] == f"/recharges/{recharge.pk}/slip/"
    page = cashier_client.get(response["Location"]).content.decode()
    # The slip: paid, bonus, balances after, the card masked (first digit, last four).
    assert 'data-testid="recharge-slip"' in page
    assert re.search(r'data-testid="s-paid">¥500\.00<', page)
    assert re.search(r'data-testid="s-bonus">\+¥50\.00<', page)
    assert re.search(r'data-testid="s-after-principal">¥500\.00<', page)
    masked = plain.number[0] + "*" * (len(plain.number) - 5) + plain.number[-4:]
    slip = page.split('data-testid="recharge-slip"', 1)[1]
    assert f'data-testid="s-card">{masked}<' in slip and plain.number not in slip


def test_recharge_twice_with_one_key_has_one_effect(cashier_client, plain):
    data = {"card": plain.number, "amount": "123.45", "method": "cash", "idempotency_key": key()}
    assert cashier_client.post("/counter/recharge/", data).status_code == 302
    assert cashier_client.post("/counter/recharge/", data).status_code == 302
    assert Recharge.objects.count() == 1
    assert balances(plain)["principal"] == 12345


def test_recharge_next_goes_back_to_the_member_page(cashier_client, plain):
    url = f"/members/{plain.member_id}/"
    response = cashier_client.post(
        "/counter/recharge/",
        {
            "card": plain.number,
            "amount": "10",
            "method": "cash",
            "idempotency_key": key(),
            "next": url,
        },
    )
    assert response["Location"] == url


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "金额"), ("-5", "金额"), ("1.234", "两位小数"), ("abc", "金额"), ("", "必填")],
)
def test_recharge_refuses_bad_amounts(cashier_client, plain, amount, message):
    before = state(plain)
    response = cashier_client.post(
        "/counter/recharge/",
        {"card": plain.number, "amount": amount, "method": "cash", "idempotency_key": key()},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert state(plain) == before


def test_recharge_refuses_a_package_paid_with_another_amount(cashier_client, plain, package):
    before = state(plain)
    response = cashier_client.post(
        "/counter/recharge/",
        {
            "card": plain.number,
            "amount": "400",
            "method": "cash",
            "package": package.pk,
            "idempotency_key": key(),
        },
    )
    assert "¥500.00" in response.content.decode()
    assert state(plain) == before


def test_recharge_refuses_a_lost_card_in_chinese(cashier_client, plain, cashier):
    card_services.card_report_lost(actor=cashier, card_id=plain.pk, reason="丢了")
    before = state(plain)
    response = cashier_client.post(
        "/counter/recharge/",
        {"card": plain.number, "amount": "100", "method": "cash", "idempotency_key": key()},
    )
    assert "此卡已挂失" in response.content.decode()
    assert state(plain) == before


def test_recharge_refuses_over_the_prepaid_limit(cashier_client, plain):
    before = state(plain)
    response = cashier_client.post(
        "/counter/recharge/",
        {"card": plain.number, "amount": "5000.01", "method": "cash", "idempotency_key": key()},
    )
    assert "¥5,000.00" in response.content.decode()
    assert state(plain) == before


def test_recharge_unknown_card(cashier_client, plain):
    before = state(plain)
    response = cashier_client.post(
        "/counter/recharge/",
        {"card": "99999999", "amount": "10", "method": "cash", "idempotency_key": key()},
    )
    assert "没有这个卡号" in response.content.decode()
    assert state(plain) == before


@pytest.mark.parametrize("role", [Role.CALL_CENTER, Role.MARKETER])
def test_recharge_forbidden(client_for, plain, role):
    client = client_for(role)
    before = state(plain)
    assert client.get(f"/counter/recharge/?card={plain.number}").status_code == 403
    response = client.post(
        "/counter/recharge/",
        {"card": plain.number, "amount": "10", "method": "cash", "idempotency_key": key()},
    )
    assert response.status_code == 403
    assert state(plain) == before


# -------------------------------------------------------------------------------- refund


def test_refund_takes_back_bonus_in_proportion(client_for, funded):
    client = client_for(Role.STORE_MANAGER)
    response = client.post(
        "/counter/refund/",
        {
            "card": funded.number,
            "amount": "250",
            "method": "cash",
            "reason": "搬家",
            "idempotency_key": key(),
        },
    )
    assert response.status_code == 302
    assert balances(funded) == {"principal": 25000, "bonus": 2500, "points": 1000}
    refund = Refund.objects.get()
    assert (refund.principal_fen, refund.bonus_clawback_fen) == (25000, 2500)


def test_refund_twice_with_one_key_has_one_effect(client_for, funded):
    client = client_for(Role.STORE_MANAGER)
    data = {
        "card": funded.number,
        "amount": "100",
        "method": "cash",
        "reason": "退",
        "idempotency_key": key(),
    }
    client.post("/counter/refund/", data)
    client.post("/counter/refund/", data)
    assert Refund.objects.count() == 1
    assert balances(funded)["principal"] == 40000


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [("600", "退", "¥500.00"), ("100", "", "必填"), ("0", "退", "金额")],
)
def test_refund_refusals(client_for, funded, amount, reason, message):
    client = client_for(Role.STORE_MANAGER)
    before = state(funded)
    response = client.post(
        "/counter/refund/",
        {
            "card": funded.number,
            "amount": amount,
            "method": "cash",
            "reason": reason,
            "idempotency_key": key(),
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert state(funded) == before


def test_refund_page_forbidden_without_wallet_rights(client_for, funded):
    before = state(funded)
    agent = client_for(Role.CALL_CENTER)  # neither wallet.refund nor wallet.recharge
    assert agent.get(f"/counter/refund/?card={funded.number}").status_code == 403
    response = agent.post(
        "/counter/refund/",
        {
            "card": funded.number,
            "amount": "10",
            "method": "cash",
            "reason": "x",
            "manager_username": "manager",
            "manager_password": "Counter-pass-2026",
            "idempotency_key": key(),
        },
    )
    assert response.status_code == 403
    assert state(funded) == before


def test_a_cashier_refunds_with_a_managers_authorisation(cashier_client, funded, stores):
    html = cashier_client.get(f"/counter/refund/?card={funded.number}").content.decode()
    assert 'data-testid="manager-authorisation"' in html and 'name="manager_password"' in html
    assert "店长授权后退款" in html
    before = state(funded)
    form = {
        "card": funded.number,
        "amount": "100",
        "method": "cash",
        "reason": "顾客退卡",
        "idempotency_key": key(),
    }
    # Without the manager: the page says what is needed (not a bare 403); nothing changes.
    alone = cashier_client.post("/counter/refund/", form)
    assert alone.status_code == 200
    assert "退款需要店长授权：请输入店长的用户名和密码。" in alone.content.decode()
    wrong = cashier_client.post(
        "/counter/refund/", {**form, "manager_username": "manager", "manager_password": "wrong"}
    )
    assert wrong.status_code == 200
    wrong_html = wrong.content.decode()
    assert "店长用户名或密码错误。" in wrong_html
    assert 'value="wrong"' not in wrong_html  # a password is never sent back
    # Another cashier's password is no authorisation; nor a manager of another store.
    other = cashier_client.post(
        "/counter/refund/",
        {**form, "manager_username": "cashier", "manager_password": "Counter-pass-2026"},
    )
    assert "cashier 无权授权本门店的退款。" in other.content.decode()
    make_staff("east", Role.STORE_MANAGER, [stores[1]])
    elsewhere = cashier_client.post(
        "/counter/refund/",
        {**form, "manager_username": "east", "manager_password": "Counter-pass-2026"},
    )
    assert "east 无权授权本门店的退款。" in elsewhere.content.decode()
    assert state(funded) == before
    assert balances(funded) == {"principal": 50000, "bonus": 5000, "points": 1000}
    assert not Refund.objects.exists()

    done = cashier_client.post(
        "/counter/refund/",
        {**form, "manager_username": "manager", "manager_password": "Counter-pass-2026"},
        follow=True,
    )
    assert "授权店长：manager。" in done.content.decode()
    refund = Refund.objects.get()
    assert (refund.principal_fen, refund.bonus_clawback_fen) == (10000, 1000)
    assert balances(funded) == {"principal": 40000, "bonus": 4000, "points": 1000}
    event = AuditEvent.objects.get(action="wallet.refunded")
    assert (event.actor.username, event.after["authorised_by"]) == ("cashier", "manager")
    assert event.after["principal"] == 10000


def test_a_store_manager_refunds_without_authorisation_fields(client_for, funded):
    html = client_for(Role.STORE_MANAGER).get(f"/counter/refund/?card={funded.number}")
    page = html.content.decode()
    assert 'data-testid="refund-form"' in page
    assert 'name="manager_password"' not in page
    assert 'data-testid="manager-authorisation"' not in page


# -------------------------------------------------------------------------------- points


def test_points_adjust_up_and_down(client_for, funded):
    client = client_for(Role.STORE_MANAGER)
    data = {"card": funded.number, "delta": "250", "reason": "补偿", "idempotency_key": key()}
    assert client.post("/counter/points/", data).status_code == 302
    assert client.post("/counter/points/", data).status_code == 302  # the same key: once
    assert balances(funded)["points"] == 1250
    data = {"card": funded.number, "delta": "-200", "reason": "误加", "idempotency_key": key()}
    assert client.post("/counter/points/", data).status_code == 302
    assert balances(funded)["points"] == 1050


@pytest.mark.parametrize(
    ("delta", "reason", "message"),
    [("-5000", "扣", "积分不足"), ("0", "x", "非零"), ("10", "", "必填"), ("1.5", "x", "整数")],
)
def test_points_adjust_refusals(client_for, funded, delta, reason, message):
    client = client_for(Role.STORE_MANAGER)
    before = state(funded)
    response = client.post(
        "/counter/points/",
        {"card": funded.number, "delta": delta, "reason": reason, "idempotency_key": key()},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert state(funded) == before


def test_points_adjust_forbidden_for_cashier(cashier_client, funded):
    before = state(funded)
    response = cashier_client.post(
        "/counter/points/",
        {"card": funded.number, "delta": "10", "reason": "x", "idempotency_key": key()},
    )
    assert response.status_code == 403
    assert state(funded) == before


# --------------------------------------------------------------------- quick consumption


def sale_data(c, **extra) -> dict[str, str]:
    return {
        "card": c.number,
        "amount": "560",
        "category": "92#汽油",
        "balance": "540",
        "points": "500",
        "external_method": "cash",
        "idempotency_key": key(),
        **extra,
    }


def test_sale_page_scan_and_quote(cashier_client, funded, owner):
    html = cashier_client.get(f"/counter/sale/?q={funded.number}").content.decode()
    assert f'name="card" value="{funded.number}"' in html
    assert "92#汽油" in html
    page_key(html)
    quote = cashier_client.get(
        "/counter/sale/quote/",
        {"card": funded.number, "amount": "560", "points": "500", "balance": "100"},
    ).content.decode()
    assert "¥560.00" in quote  # payable: no tier discount
    assert "-¥5.00" in quote  # 500 points
    assert "-¥100.00" in quote
    assert "¥455.00" in quote  # the rest
    assert 'data-value="1000"' in quote  # the cap is ¥280 = 28,000 points; the card holds 1,000
    tier_create(actor=owner, code="base", name="普通", level=1)
    gold = tier_create(actor=owner, code="gold", name="金卡", level=2, discount_permille=950)
    tier_move(actor=owner, member_id=funded.member_id, tier_id=gold.pk, reason="VIP")
    quote = cashier_client.get(
        "/counter/sale/quote/", {"card": funded.number, "amount": "100"}
    ).content.decode()
    assert "金卡" in quote and "-¥5.00" in quote and "¥95.00" in quote


def test_sale_by_balance_and_points_then_receipt(cashier_client, funded):
    response = cashier_client.post("/counter/sale/", sale_data(funded))
    assert response.status_code == 302
    sale = Sale.objects.get()
    assert response["Location"] == f"/sales/{sale.pk}/"
    assert (sale.paid_principal_fen, sale.paid_bonus_fen, sale.points_used) == (50000, 4000, 500)
    assert sale.paid_external_fen == 1500
    assert sale.category == "92#汽油"
    # Points earned on principal + cash (¥515): 515 points.
    assert balances(funded) == {"principal": 0, "bonus": 1000, "points": 1000 - 500 + 515}
    html = cashier_client.get(response["Location"]).content.decode()
    for text in ("¥560.00", "¥500.00", "¥40.00", "¥5.00", "¥15.00", "+515", sale.number):
        assert text in html
    assert 'data-testid="after-principal">¥0.00' in html
    assert 'data-testid="after-bonus">¥10.00' in html
    assert 'data-testid="after-points">1015' in html
    assert "实付" in html  # the explanation, in Chinese (the rule by its name: see below)
    assert "积分规则 每消费1元积1分" in html  # the rule by the name the merchant gave it
    assert "积分规则 base v1" not in html
    # The customer's words: 储值支付 and 赠送金抵扣, not the ledger's 本金支付.
    assert "储值支付" in html and "赠送金抵扣" in html and "本金支付" not in html


def test_sale_double_submit_records_one_sale(cashier_client, funded):
    data = sale_data(funded)
    first = cashier_client.post("/counter/sale/", data)
    second = cashier_client.post("/counter/sale/", data)
    assert first["Location"] == second["Location"]
    assert Sale.objects.count() == 1
    assert balances(funded)["principal"] == 0


def test_walk_in_sale_without_a_card(cashier_client, funded):
    response = cashier_client.post(
        "/counter/sale/",
        {"card": "", "amount": "88", "external_method": "alipay", "idempotency_key": key()},
    )
    assert response.status_code == 302
    sale = Sale.objects.get()
    assert (sale.card_id, sale.paid_external_fen, sale.points_earned) == (None, 8800, 0)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"balance": "600", "points": "0"}, "超过应付"),
        ({"balance": "0", "points": "99999"}, "最多"),
        ({"amount": "0"}, "金额"),
        ({"points": "-1"}, "0"),
        ({"balance": "1000", "amount": "2000", "points": "0"}, "储值余额不足"),
    ],
)
def test_sale_refusals_leave_everything_unchanged(cashier_client, funded, extra, message):
    before = state(funded)
    response = cashier_client.post("/counter/sale/", sale_data(funded, **extra))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert state(funded) == before


def test_sale_refused_on_a_lost_card(cashier_client, funded, cashier):
    card_services.card_report_lost(actor=cashier, card_id=funded.pk, reason="丢了")
    before = state(funded)
    response = cashier_client.post("/counter/sale/", sale_data(funded))
    assert "此卡已挂失" in response.content.decode()
    assert state(funded) == before


@pytest.mark.parametrize("role", [Role.CALL_CENTER, Role.MARKETER])
def test_sale_forbidden(client_for, funded, role):
    client = client_for(role)
    before = state(funded)
    assert client.get("/counter/sale/").status_code == 403
    assert client.get("/counter/sale/quote/", {"amount": "1"}).status_code == 403
    assert client.post("/counter/sale/", sale_data(funded)).status_code == 403
    assert state(funded) == before


# ------------------------------------------------------------------------------ reversal


@pytest.fixture
def sold(funded, cashier):
    return sale_quick(
        actor=cashier,
        data=QuickSaleInput(
            amount_fen=56000,
            card_id=funded.pk,
            balance_fen=54000,
            points=500,
            external_method="cash",
        ),
        idempotency_key=key(),
    )


def test_reverse_restores_balances_and_lots(client_for, funded, sold):
    client = client_for(Role.STORE_MANAGER)
    html = client.get(f"/sales/{sold.pk}/").content.decode()
    assert 'data-testid="reverse-form"' in html
    reverse_key = page_key(html.split('data-testid="reverse-form"')[1])
    lots_before_sale = [(k, a, a) for k, a, _r in lots(funded) if k != "points" or a == 1000]
    response = client.post(
        f"/sales/{sold.pk}/reverse/", {"reason": "顾客退货", "idempotency_key": reverse_key}
    )
    assert response.status_code == 302
    assert balances(funded) == {"principal": 50000, "bonus": 5000, "points": 1000}
    assert [lot for lot in lots(funded) if lot[2]] == lots_before_sale
    html = client.get(f"/sales/{sold.pk}/").content.decode()
    assert "已冲正" in html
    assert 'data-testid="reverse-form"' not in html
    assert 'data-testid="now-principal">¥500.00' in html
    # The same key again: the first result, nothing more.
    assert (
        client.post(
            f"/sales/{sold.pk}/reverse/", {"reason": "顾客退货", "idempotency_key": reverse_key}
        ).status_code
        == 302
    )
    # A new attempt is refused, in Chinese, and changes nothing.
    before = state(funded)
    response = client.post(
        f"/sales/{sold.pk}/reverse/", {"reason": "再来一次", "idempotency_key": key()}
    )
    assert response.status_code == 200
    assert "此消费已冲正" in response.content.decode()
    assert state(funded) == before


def test_reverse_needs_a_reason(client_for, funded, sold):
    client = client_for(Role.STORE_MANAGER)
    before = state(funded)
    response = client.post(f"/sales/{sold.pk}/reverse/", {"reason": "", "idempotency_key": key()})
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    assert state(funded) == before
    assert Sale.objects.get().status == "completed"


def test_a_cashier_reverses_with_a_managers_authorisation(cashier_client, funded, sold):
    html = cashier_client.get(f"/sales/{sold.pk}/").content.decode()
    assert 'data-testid="reverse-form"' in html
    assert 'data-testid="reverse-needs-manager"' in html and 'name="manager_password"' in html
    before = state(funded)
    form = {"reason": "顾客取消", "idempotency_key": key()}
    # Without the manager: the page says what is needed (not a bare 403); nothing changes.
    alone = cashier_client.post(f"/sales/{sold.pk}/reverse/", form)
    assert alone.status_code == 200
    assert "冲正消费需要店长授权：请输入店长的用户名和密码。" in alone.content.decode()
    wrong = cashier_client.post(
        f"/sales/{sold.pk}/reverse/",
        {**form, "manager_username": "manager", "manager_password": "wrong"},
    )
    assert "店长用户名或密码错误" in wrong.content.decode()
    # Another cashier's password is no authorisation.
    other = cashier_client.post(
        f"/sales/{sold.pk}/reverse/",
        {**form, "manager_username": "cashier", "manager_password": "Counter-pass-2026"},
    )
    assert "无权授权冲正消费" in other.content.decode()
    assert state(funded) == before
    assert Sale.objects.get().status == "completed"
    done = cashier_client.post(
        f"/sales/{sold.pk}/reverse/",
        {**form, "manager_username": "manager", "manager_password": "Counter-pass-2026"},
    )
    assert done.status_code == 302
    assert Sale.objects.get().status == "reversed"
    assert balances(funded) == {"principal": 50000, "bonus": 5000, "points": 1000}
    event = AuditEvent.objects.get(action="sale.reversed")
    assert (event.actor.username, event.after["authorised_by"]) == ("cashier", "manager")


def test_a_store_manager_reverses_without_authorisation_fields(client_for, funded, sold):
    html = client_for(Role.STORE_MANAGER).get(f"/sales/{sold.pk}/").content.decode()
    assert 'data-testid="reverse-form"' in html
    assert 'name="manager_password"' not in html.split('data-testid="reverse-form"')[1]


def test_receipt_unknown_sale(cashier_client, stores):
    assert cashier_client.get("/sales/999/").status_code == 404


# ------------------------------------------------------------------- supplementary points


def test_supplement_points_to_a_walk_in_sale(cashier_client, plain, cashier):
    walk_in = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=12000, external_method="cash"),
        idempotency_key=key(),
    )
    data = {"card": plain.number, "receipt": walk_in.number, "idempotency_key": key()}
    response = cashier_client.post("/counter/supplement/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/sales/{walk_in.pk}/"
    assert cashier_client.post("/counter/supplement/", data).status_code == 302
    assert balances(plain)["points"] == 120
    before = state(plain)
    response = cashier_client.post(
        "/counter/supplement/",
        {"card": plain.number, "receipt": walk_in.number, "idempotency_key": key()},
    )
    assert "已属于会员" in response.content.decode()
    response = cashier_client.post(
        "/counter/supplement/", {"card": plain.number, "receipt": "NOPE", "idempotency_key": key()}
    )
    assert "没有这个小票号" in response.content.decode()
    assert state(plain) == before


def test_supplement_forbidden(client_for, plain):
    assert client_for(Role.MARKETER).get("/counter/supplement/").status_code == 403


def test_fresh_key_on_every_form(cashier_client, funded):
    for url in (
        f"/counter/recharge/?card={funded.number}",
        f"/counter/sale/?q={funded.number}",
        f"/counter/supplement/?card={funded.number}",
        f"/cards/{funded.pk}/reissue/",
    ):
        uuid.UUID(page_key(cashier_client.get(url).content.decode()))


def test_the_counter_does_not_offer_online_self_service(cashier_client, funded):
    html = cashier_client.get(f"/counter/recharge/?card={funded.number}").content.decode()
    assert 'value="wechat"' in html and 'value="online"' not in html
    assert "线上自助" not in html
    data = {"card": funded.number, "amount": "100", "method": "online", "idempotency_key": "k1"}
    response = cashier_client.post("/counter/recharge/", data)
    assert response.status_code == 200  # refused, shown again
    assert balances(funded)["principal"] == 50000  # unchanged
