"""The demo's benefit plans: loaded through the services, once."""

from __future__ import annotations

import pytest

from huiyuan.benefits.models import BenefitPlan
from huiyuan.demo import catalog, loader
from huiyuan.demo.benefits import load_benefits

pytestmark = pytest.mark.django_db


def test_the_demo_plans_load_once():
    org = loader.load_org()
    catalog.load_catalog(org)
    assert load_benefits(org) == 2
    assert load_benefits(loader.load_org()) == 0
    gold = BenefitPlan.objects.get(code="GOLD-YEAR")
    assert gold.category_discounts == {"carwash": 850, "cafe": 900}
    assert len(gold.member_prices) == 1
    assert BenefitPlan.objects.get(code="WASH-MONTH").free_plan is not None
