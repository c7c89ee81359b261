"""Demo benefit cards (权益卡): a monthly car-wash card with two free washes a month and a
yearly gold card with member prices, so 权益卡 shows something in ``make run``."""

from __future__ import annotations

from typing import Any

from huiyuan.benefits import plans
from huiyuan.benefits.models import BenefitPlan
from huiyuan.catalog import services as catalog
from huiyuan.catalog.models import Category, Product
from huiyuan.packages import plans as package_plans


def _product(owner: Any, sku: str, name: str, price: int, category: str) -> Product:
    found = Product.objects.filter(sku=sku).first()
    if found is not None:
        return found
    category_id = Category.objects.filter(code=category).values_list("pk", flat=True).first()
    return catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(
            sku=sku, name=name, list_price_fen=price, category_id=category_id, unit="piece"
        ),
    )


def load_benefits(org: Any) -> int:
    """Create the demo benefit plans once; the number created."""
    if BenefitPlan.objects.exists():
        return 0
    owner = org.actor("owner")
    free = package_plans.plan_create(
        actor=owner,
        data=package_plans.PlanInput(
            product_id=_product(owner, "VIP-WASH", "会员月度洗车", 0, "carwash").pk,
            name="会员免费洗车",
            kind="period",
            items=[package_plans.ItemInput(name="普通洗车", uses=None)],
            validity_value=1,
            validity_unit="month",
            limit_count=2,
            limit_period="month",
        ),
    )
    wax = Product.objects.filter(sku="WASH-03").values_list("pk", flat=True).first()
    plans.plan_create(
        actor=owner,
        data=plans.PlanInput(
            product_id=_product(owner, "VIP-M", "洗车月卡", 9900, "carwash").pk,
            code="WASH-MONTH",
            name="洗车月卡",
            term="month",
            rank=1,
            category_discounts={"carwash": 900},
            points_multiplier_pct=150,
            free_plan_id=free.pk,
            priority_text="洗车预约优先",
            refund_fee_bp=500,
        ),
    )
    plans.plan_create(
        actor=owner,
        data=plans.PlanInput(
            product_id=_product(owner, "VIP-Y", "金卡年卡", 39900, "carwash").pk,
            code="GOLD-YEAR",
            name="金卡年卡",
            term="year",
            rank=2,
            paid_permille=950,
            category_discounts={"carwash": 850, "cafe": 900},
            points_multiplier_pct=200,
            member_prices={wax: 12800} if wax else {},
            priority_text="专属通道、预约优先",
        ),
    )
    return 2
