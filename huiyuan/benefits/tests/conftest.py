"""Benefit-card fixtures: plans sold through products, a member's card, a fixed clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from huiyuan.benefits import plans
from huiyuan.benefits.models import BenefitPlan
from huiyuan.cards.models import Card
from huiyuan.catalog import services as catalog
from huiyuan.catalog.models import Category, Product
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import BasketSaleInput, ExternalPayment, SaleLineInput, sale_complete
from huiyuan.ledger.tests.factories import card, key
from huiyuan.packages import plans as package_plans

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)


@dataclass
class Shop:
    silver: BenefitPlan  # 银卡月卡 ¥30, rank 1: wash 9折, ×150% points, 2 free washes a month
    gold: BenefitPlan  # 金卡年卡 ¥300, rank 2: 8折 on everything, member price ¥50 for wax
    wash: Product  # 精洗 ¥40, category wash
    wax: Product  # 打蜡 ¥80, category wash
    drink: Product  # 饮料 ¥10, category shop


@pytest.fixture
def shop(owner) -> Shop:
    wash_cat = catalog.category_create(actor=owner, code="wash", name="洗车", idempotency_key=key())
    shop_cat = catalog.category_create(
        actor=owner, code="shop", name="便利店", idempotency_key=key()
    )

    def product(sku: str, name: str, price: int, category: Category | None = None) -> Product:
        return catalog.product_create(
            actor=owner,
            data=catalog.ProductInput(
                sku=sku,
                name=name,
                list_price_fen=price,
                category_id=category.pk if category else None,
            ),
        )

    wash = product("WASH", "精洗", 4000, wash_cat)
    wax = product("WAX", "打蜡", 8000, wash_cat)
    drink = product("DRINK", "饮料", 1000, shop_cat)
    free = package_plans.plan_create(
        actor=owner,
        data=package_plans.PlanInput(
            product_id=product("FREE-WASH", "免费洗车权益", 0).pk,
            name="会员免费洗车",
            kind="period",
            items=[package_plans.ItemInput(name="洗车", uses=None)],
            validity_value=1,
            validity_unit="month",
            limit_count=2,
            limit_period="month",
        ),
    )
    silver = plans.plan_create(
        actor=owner,
        data=plans.PlanInput(
            product_id=product("VIP-M", "银卡月卡", 3000).pk,
            code="SILVER",
            name="银卡月卡",
            term="month",
            rank=1,
            category_discounts={"wash": 900},
            points_multiplier_pct=150,
            free_plan_id=free.pk,
            priority_text="预约优先",
            refund_fee_bp=1000,
        ),
    )
    gold = plans.plan_create(
        actor=owner,
        data=plans.PlanInput(
            product_id=product("VIP-Y", "金卡年卡", 30000).pk,
            code="GOLD",
            name="金卡年卡",
            term="year",
            rank=2,
            paid_permille=800,
            member_prices={wax.pk: 5000},
        ),
    )
    return Shop(silver=silver, gold=gold, wash=wash, wax=wax, drink=drink)


@pytest.fixture
def member_card(cashier, owner) -> Card:
    return card(cashier, owner)


SellFn = Callable[..., Sale]


@pytest.fixture
def sell(cashier) -> SellFn:
    """Sell products (by id, one each) on ``card`` for cash at the cashier's store."""

    def make(card_obj: Card | None, *product_ids: int, cash: int | None = None) -> Sale:
        from huiyuan.checkout.services import sale_quote_basket

        data = BasketSaleInput(
            lines=tuple(SaleLineInput(product_id=pk, quantity_milli=1000) for pk in product_ids),
            card_id=card_obj.pk if card_obj else None,
        )
        if cash is None:
            cash = sale_quote_basket(actor=cashier, data=data).priced.payable_fen
        return sale_complete(
            actor=cashier,
            data=BasketSaleInput(
                lines=data.lines,
                card_id=data.card_id,
                payments=(ExternalPayment("cash", cash),) if cash else (),
            ),
            idempotency_key=key(),
        )

    return make


@pytest.fixture
def clock(monkeypatch) -> Callable[[dt.datetime], None]:
    def set_(moment: dt.datetime) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)

    return set_


@pytest.fixture
def manager(actors):
    from huiyuan.core.permissions import Role

    return actors[Role.STORE_MANAGER]
