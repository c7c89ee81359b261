"""Quick consumption and its reversal: exact balances, lots and refusals."""

from __future__ import annotations

import pytest

from huiyuan.cards import services as card_services
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import QuickSaleInput, sale_quick, sale_reverse, split_balance
from huiyuan.core.errors import Conflict, DomainError, ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances, card, default_rule, key, lots
from huiyuan.ledger.verify import verify_ledger
from huiyuan.members import services as member_services
from huiyuan.points.services import points_adjust
from huiyuan.tiers.services import tier_create
from huiyuan.wallet.models import WalletPolicy
from huiyuan.wallet.services import recharge_package_create, wallet_recharge


@pytest.fixture
def funded(owner, cashier):
    """A card with ¥500 principal, ¥50 bonus (package) and 1,000 points."""
    default_rule(owner)
    c = card(cashier, owner)
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


def test_split_balance_orders():
    assert split_balance("principal_first", 120, 100, 50) == (100, 20)
    assert split_balance("bonus_first", 120, 100, 50) == (70, 50)
    assert split_balance("proportional", 90, 100, 50) == (60, 30)


def test_sale_paid_by_principal_bonus_and_points_then_reversed(funded, cashier, actors):
    before_balances, before_lots = balances(funded), lots(funded)
    assert before_balances == {"principal": 50000, "bonus": 5000, "points": 1000}
    # ¥560 bill: 500 points = ¥5 off, ¥540 from balance (¥500 principal + ¥40 bonus), ¥15 cash.
    sale = sale_quick(
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
    assert (sale.payable_fen, sale.paid_principal_fen, sale.paid_bonus_fen) == (56000, 50000, 4000)
    assert (sale.points_offset_fen, sale.paid_external_fen) == (500, 1500)
    # Points on money actually paid: ¥500 principal + ¥15 cash = 515 points.
    assert sale.points_earned == 515
    assert sale.earn_explanation["rule"] == "base v1"
    assert balances(funded) == {"principal": 0, "bonus": 1000, "points": 1000 - 500 + 515}
    assert verify_ledger().ok

    reversed_sale = sale_reverse(
        actor=actors[Role.STORE_MANAGER], sale_id=sale.pk, reason="顾客退货", idempotency_key=key()
    )
    assert reversed_sale.status == Sale.Status.REVERSED
    assert balances(funded) == before_balances
    # Every lot is back where it was; the earned lot is emptied.
    assert lots(funded)[: len(before_lots)] == before_lots
    assert lots(funded)[len(before_lots) :] == [("points", 515, 0)]
    report = verify_ledger()
    assert report.ok, report.problems

    with pytest.raises(Conflict) as err:
        sale_reverse(
            actor=actors[Role.STORE_MANAGER], sale_id=sale.pk, reason="again", idempotency_key=key()
        )
    assert err.value.code == "already_reversed"
    assert balances(funded) == before_balances


def test_tier_discount_and_multiplier(owner, cashier):
    default_rule(owner)
    tier_create(actor=owner, code="normal", name="普通", level=1)
    tier_create(
        actor=owner,
        code="gold",
        name="金卡",
        level=2,
        threshold=1,
        discount_permille=900,
        points_multiplier_pct=200,
    )
    c = card(cashier, owner)
    first = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=10000, card_id=c.pk, external_method="wechat"),
        idempotency_key=key(),
    )
    assert (first.discount_fen, first.points_earned, first.tier_code) == (0, 100, "normal")
    # The first sale crossed gold's threshold: upgraded at once.
    second = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=10000, card_id=c.pk, external_method="wechat"),
        idempotency_key=key(),
    )
    assert (second.discount_fen, second.payable_fen, second.points_earned, second.tier_code) == (
        1000,
        9000,
        180,
        "gold",
    )


@pytest.mark.parametrize(
    "data,code",
    [
        ({"amount_fen": 0}, "invalid_amount"),
        ({"amount_fen": 1000, "balance_fen": 60000}, "overpaid"),
        (
            {"amount_fen": 100000, "balance_fen": 99000, "external_method": "cash"},
            "insufficient_balance",
        ),
        ({"amount_fen": 1000, "points": 800, "external_method": "cash"}, "points_offset_too_high"),
        ({"amount_fen": 10000, "points": 1001, "external_method": "cash"}, "insufficient_points"),
        ({"amount_fen": 10000}, "external_method_required"),
        ({"amount_fen": 10000, "external_method": "bitcoin"}, "invalid_method"),
    ],
)
def test_refusals_change_nothing(funded, cashier, data, code):
    before = (balances(funded), lots(funded), Sale.objects.count())
    with pytest.raises(DomainError) as err:
        sale_quick(
            actor=cashier, data=QuickSaleInput(card_id=funded.pk, **data), idempotency_key=key()
        )
    assert err.value.code == code
    assert (balances(funded), lots(funded), Sale.objects.count()) == before


def test_frozen_member_and_lost_card_refused(funded, cashier, actors):
    before = (balances(funded), lots(funded))
    member_services.member_freeze(
        actor=actors[Role.STORE_MANAGER],
        member_id=funded.member_id,
        earning=False,
        spending=True,
        reason="风控",
    )
    with pytest.raises(Conflict) as err:
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=1000, card_id=funded.pk, balance_fen=1000),
            idempotency_key=key(),
        )
    assert err.value.code == "member_spend_frozen"
    member_services.member_unfreeze(
        actor=actors[Role.STORE_MANAGER],
        member_id=funded.member_id,
        earning=False,
        spending=True,
        reason="ok",
    )
    card_services.card_report_lost(actor=cashier, card_id=funded.pk, reason="丢失")
    with pytest.raises(Conflict) as err:
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=1000, card_id=funded.pk, balance_fen=1000),
            idempotency_key=key(),
        )
    assert err.value.code == "card_lost"
    with pytest.raises(Conflict) as err:
        wallet_recharge(
            actor=cashier, card_id=funded.pk, amount_fen=100, method="cash", idempotency_key=key()
        )
    assert err.value.code == "card_lost"
    assert (balances(funded), lots(funded)) == before


def test_earn_frozen_member_pays_but_earns_nothing(funded, cashier, actors):
    member_services.member_freeze(
        actor=actors[Role.STORE_MANAGER],
        member_id=funded.member_id,
        earning=True,
        spending=False,
        reason="x",
    )
    sale = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=1000, card_id=funded.pk, balance_fen=1000),
        idempotency_key=key(),
    )
    assert sale.points_earned == 0
    assert balances(funded)["principal"] == 49000


def test_idempotent_replay_and_conflict(funded, cashier):
    k = key()
    data = QuickSaleInput(amount_fen=1000, card_id=funded.pk, balance_fen=1000)
    first = sale_quick(actor=cashier, data=data, idempotency_key=k)
    again = sale_quick(actor=cashier, data=data, idempotency_key=k)
    assert first.pk == again.pk
    assert balances(funded)["principal"] == 49000
    with pytest.raises(Conflict) as err:
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=2000, card_id=funded.pk, balance_fen=2000),
            idempotency_key=k,
        )
    assert err.value.code == "idempotency_key_reused"
    assert balances(funded)["principal"] == 49000


def test_bonus_first_order(funded, owner, cashier):
    from huiyuan.wallet.services import wallet_policy_update

    wallet_policy_update(actor=owner, spend_order=WalletPolicy.SpendOrder.BONUS_FIRST)
    sale = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=6000, card_id=funded.pk, balance_fen=6000),
        idempotency_key=key(),
    )
    assert (sale.paid_principal_fen, sale.paid_bonus_fen) == (1000, 5000)


def test_reversal_refused_when_earned_points_spent(owner, cashier, actors):
    default_rule(owner)
    c = card(cashier, owner)
    sale = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=100000, card_id=c.pk, external_method="cash"),
        idempotency_key=key(),
    )
    assert balances(c)["points"] == 1000
    sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=10000, card_id=c.pk, points=1000, external_method="cash"),
        idempotency_key=key(),
    )
    before = balances(c)
    with pytest.raises(Conflict) as err:
        sale_reverse(
            actor=actors[Role.STORE_MANAGER], sale_id=sale.pk, reason="退货", idempotency_key=key()
        )
    assert err.value.code == "earned_points_used"
    assert balances(c) == before
    assert Sale.objects.get(pk=sale.pk).status == "completed"


def test_cashier_cannot_reverse(funded, cashier):
    sale = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=1000, card_id=funded.pk, balance_fen=1000),
        idempotency_key=key(),
    )
    with pytest.raises(DomainError) as err:
        sale_reverse(actor=cashier, sale_id=sale.pk, reason="x", idempotency_key=key())
    assert err.value.code == "permission_denied"


def test_validation_before_anything(cashier):
    with pytest.raises(ValidationFailed):
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=100, balance_fen=100),
            idempotency_key=key(),
        )


def test_expired_points_cannot_be_spent_even_before_the_sweep(funded, cashier):
    import datetime as dt

    from django.utils import timezone

    from huiyuan.ledger.models import Lot

    # The 1,000 adjusted points expired yesterday; the nightly sweep has not run yet.
    Lot.objects.filter(account__card_id=funded.pk, account__kind="points").update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    before = (balances(funded), lots(funded), Sale.objects.count())
    with pytest.raises(DomainError) as err:
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(
                amount_fen=10000, card_id=funded.pk, points=500, external_method="cash"
            ),
            idempotency_key=key(),
        )
    assert err.value.code == "insufficient_points"
    assert (balances(funded), lots(funded), Sale.objects.count()) == before


def test_over_prepaid_limit_refused_and_unchanged(funded, cashier):
    before = (balances(funded), lots(funded))
    with pytest.raises(DomainError) as err:
        wallet_recharge(
            actor=cashier,
            card_id=funded.pk,
            amount_fen=450001,
            method="cash",
            idempotency_key=key(),
        )
    assert err.value.code == "prepaid_limit_exceeded"
    assert (balances(funded), lots(funded)) == before
    wallet_recharge(
        actor=cashier, card_id=funded.pk, amount_fen=450000, method="cash", idempotency_key=key()
    )
    assert balances(funded)["principal"] == 500000


def test_daily_cap_counts_todays_earnings_on_the_card(owner, cashier):
    default_rule(owner, cap_per_day=150)
    c = card(cashier, owner)
    buy = QuickSaleInput(amount_fen=10000, card_id=c.pk, external_method="cash")
    first = sale_quick(actor=cashier, data=buy, idempotency_key=key())
    second = sale_quick(actor=cashier, data=buy, idempotency_key=key())
    assert (first.points_earned, second.points_earned) == (100, 50)
    assert {"code": "cap_per_day", "cap": 150, "earned_today": 100, "room": 50} in (
        second.earn_explanation["steps"]
    )
