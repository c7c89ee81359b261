"""Package fixtures: plan products and a member's card, made through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from huiyuan.cards.models import Card
from huiyuan.catalog import services as catalog
from huiyuan.catalog.models import Product
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import BasketSaleInput, ExternalPayment, SaleLineInput, sale_complete
from huiyuan.core.permissions import Actor
from huiyuan.ledger.tests.factories import card, key
from huiyuan.packages import plans
from huiyuan.packages.models import MemberPackage, PackagePlan


@dataclass
class Plans:
    swim10: PackagePlan  # 游泳10次卡 ¥300, 10 uses, valid 90 days
    monthly: PackagePlan  # 月卡 ¥199, 1 month, one visit a day
    course: PackagePlan  # 私教课程 ¥1000: 拉伸 ×3, 力量 ×5


def _product(owner: Actor, sku: str, name: str, price: int) -> Product:
    return catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(sku=sku, name=name, list_price_fen=price, unit="session"),
    )


@pytest.fixture
def plan_set(owner) -> Plans:
    swim = plans.plan_create(
        actor=owner,
        data=plans.PlanInput(
            product_id=_product(owner, "SWIM10", "游泳10次卡", 30000).pk,
            name="游泳10次卡",
            kind="count",
            items=[plans.ItemInput(name="游泳", uses=10)],
            validity_value=90,
        ),
    )
    monthly = plans.plan_create(
        actor=owner,
        data=plans.PlanInput(
            product_id=_product(owner, "GYM-M", "健身月卡", 19900).pk,
            name="健身月卡",
            kind="period",
            validity_value=1,
            validity_unit="month",
            limit_count=1,
            limit_period="day",
        ),
    )
    course = plans.plan_create(
        actor=owner,
        data=plans.PlanInput(
            product_id=_product(owner, "PT-8", "私教课程", 100000).pk,
            name="私教课程",
            kind="course",
            items=[plans.ItemInput(name="拉伸", uses=3), plans.ItemInput(name="力量", uses=5)],
            refund_fee_fen=500,
            refund_fee_bp=1000,
        ),
    )
    return Plans(swim10=swim, monthly=monthly, course=course)


@pytest.fixture
def member_card(cashier, owner) -> Card:
    return card(cashier, owner)


SellFn = Callable[..., Sale]


@pytest.fixture
def sell(cashier) -> SellFn:
    """Sell ``quantity`` of a plan's product on ``card`` for cash at the cashier's store."""

    def make(plan: PackagePlan, card_obj: Card | None, quantity: int = 1) -> Sale:
        price = Product.objects.get(pk=plan.product_id).list_price_fen
        return sale_complete(
            actor=cashier,
            data=BasketSaleInput(
                lines=(SaleLineInput(product_id=plan.product_id, quantity_milli=quantity * 1000),),
                card_id=card_obj.pk if card_obj else None,
                payments=(ExternalPayment("cash", price * quantity),),
            ),
            idempotency_key=key(),
        )

    return make


def packages_of(sale: Sale) -> list[MemberPackage]:
    return list(MemberPackage.objects.filter(sale=sale).order_by("unit_index"))


@pytest.fixture
def clock(monkeypatch) -> Callable[[dt.datetime], None]:
    """Set the moment ``timezone.now()`` returns (aware, any zone)."""

    def at(moment: dt.datetime) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)

    return at


def state(package: MemberPackage) -> tuple[object, ...]:
    """Everything a refused operation must leave unchanged."""
    from huiyuan.audit.models import AuditEvent
    from huiyuan.events.models import OutboxEvent
    from huiyuan.packages.models import PackageItem, PackageRefund, PackageUse

    fresh = MemberPackage.objects.get(pk=package.pk)
    return (
        fresh.status,
        fresh.valid_from,
        fresh.valid_until,
        list(PackageItem.objects.filter(package=package).values_list("used", flat=True)),
        PackageUse.objects.count(),
        PackageRefund.objects.count(),
        AuditEvent.objects.count(),
        OutboxEvent.objects.count(),
    )
