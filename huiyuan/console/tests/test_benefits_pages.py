"""Console pages of benefit cards: plans, cards sold, a card's page with its upgrade and
refund forms, the member page's block and the counter's card panel."""

from __future__ import annotations

import pytest

from huiyuan.benefits.models import BenefitChange, BenefitPlan, MemberBenefit
from huiyuan.benefits.tests.conftest import (  # noqa: F401 - fixtures
    clock,
    manager,
    member_card,
    sell,
    shop,
)
from huiyuan.core.permissions import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def benefit(shop, member_card, sell) -> MemberBenefit:  # noqa: F811
    sell(member_card, shop.silver.product_id)
    return MemberBenefit.objects.get(member=member_card.member)


def test_the_member_page_and_the_counter_show_the_card_until_when(client_for, benefit):
    client = client_for(Role.CASHIER)
    text = client.get(f"/members/{benefit.member_id}/").content.decode()
    assert 'data-testid="member-benefits"' in text
    until = benefit.valid_until.isoformat()
    assert "银卡月卡" in text and until in text
    panel = client.get("/counter/", {"q": benefit.card.number}).content.decode()
    assert 'data-testid="card-panel"' in panel
    assert 'data-testid="panel-benefit"' in panel and until in panel


def test_the_card_page_upgrades_and_refunds(client_for, benefit, shop):  # noqa: F811
    cashier = client_for(Role.CASHIER)
    page = cashier.get(f"/benefits/{benefit.pk}/").content.decode()
    assert 'data-testid="benefit-upgrade"' in page
    assert 'data-testid="refund-submit"' not in page  # a cashier may not refund
    refused = cashier.post(
        f"/benefits/{benefit.pk}/refund/", {"method": "cash", "reason": "x", "idempotency_key": "r"}
    )
    assert refused.status_code == 403
    done = cashier.post(
        f"/benefits/{benefit.pk}/upgrade/",
        {"plan": shop.gold.pk, "method": "cash", "idempotency_key": "u1"},
    )
    assert done.status_code == 302
    change = BenefitChange.objects.get(kind="upgrade")
    assert done["Location"].endswith(f"/benefits/{change.target_id}/")
    manager_client = client_for(Role.STORE_MANAGER)
    target = change.target
    assert target is not None
    page = manager_client.get(f"/benefits/{target.pk}/").content.decode()
    assert 'data-testid="refund-amount"' in page
    manager_client.post(
        f"/benefits/{target.pk}/refund/",
        {"method": "cash", "reason": "搬家", "idempotency_key": "r2"},
    )
    target.refresh_from_db()
    assert target.status == MemberBenefit.Status.REFUNDED
    listing = manager_client.get("/benefits/").content.decode()
    assert benefit.code in listing and target.code in listing


def test_plans_are_created_by_head_office(client_for, owner, shop):  # noqa: F811
    from huiyuan.catalog import services as catalog

    product = catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(sku="VIP-Q", name="季卡", list_price_fen=8000),
    )
    assert client_for(Role.CASHIER).get("/benefits/plans/new/").status_code == 403
    client = client_for(Role.HQ_ADMIN)
    assert client.get("/benefits/plans/new/").status_code == 200
    form = {
        "product": product.pk,
        "code": "season",
        "name": "季卡",
        "term": "quarter",
        "rank": "1",
        "paid_permille": "1000",
        "category_discounts": "wash = 2000",
        "points_multiplier_pct": "100",
        "member_prices": "",
        "refund_fee_percent": "0",
        "active": "on",
    }
    refused = client.post("/benefits/plans/new/", form)
    assert refused.status_code == 200
    assert not BenefitPlan.objects.filter(code="SEASON").exists()
    created = client.post(
        "/benefits/plans/new/",
        {**form, "category_discounts": "wash = 850", "member_prices": "WAX = 60.00"},
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    plan = BenefitPlan.objects.get(code="SEASON")
    assert plan.category_discounts == {"wash": 850}
    assert plan.member_prices == {str(shop.wax.pk): 6000}
    listing = client.get("/benefits/plans/").content.decode()
    assert "季卡" in listing and "银卡月卡" in listing
