"""Coupon fixtures: the checkout shop and card, and templates made through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from huiyuan.checkout.tests.conftest import funded, shop  # noqa: F401 - fixtures
from huiyuan.coupons.models import CouponTemplate
from huiyuan.coupons.services import TemplateInput, template_create


@pytest.fixture
def make_template(owner) -> Callable[..., CouponTemplate]:
    def make(**extra: Any) -> CouponTemplate:
        values: dict[str, Any] = {
            "name": "满50减10",
            "kind": "threshold",
            "value": 1000,
            "min_spend_fen": 5000,
            "valid_from": dt.date(2020, 1, 1),
            "valid_to": dt.date(2099, 12, 31),
        }
        values.update(extra)
        return template_create(actor=owner, data=TemplateInput(**values))

    return make
