"""Bundles (套餐): sold at their own price, items listed with shares by their list prices."""

from __future__ import annotations

from huiyuan.pricing import BundleComponent, BundleItem, PricingError, price_basket
from huiyuan.pricing.tests.builders import basket, context, line, member, tier

WASH = BundleItem(product_id=9, sku="WASH", quantity_milli=1000, unit_price_fen=1500, name="洗车")
TOWEL = BundleItem(product_id=10, sku="TOWEL", quantity_milli=2000, unit_price_fen=500, name="毛巾")


def test_bundle_price_and_payable_are_shared_by_list_price():
    bundle = line(unit_price_fen=2000, bundle_items=(WASH, TOWEL), name="洗车套餐")
    result = price_basket(basket(bundle), context=context(), member=member(tier=tier(950)))
    only = result.lines[0]
    assert (only.list_fen, only.discount_fen, only.payable_fen) == (2000, 100, 1900)
    assert only.components == (
        BundleComponent(9, "WASH", "洗车", 1000, 1500, 1200, 1140),
        BundleComponent(10, "TOWEL", "毛巾", 2000, 1000, 800, 760),
    )
    assert only.notes[-1].code == "bundle.allocated"


def test_shares_use_largest_remainder_and_scale_with_bundles_sold():
    items = tuple(
        BundleItem(product_id=i, sku=f"I{i}", quantity_milli=1000, unit_price_fen=700)
        for i in (1, 2, 3)
    )
    result = price_basket(
        basket(line(unit_price_fen=500, quantity_milli=2000, bundle_items=items)),
        context=context(),
    )
    components = result.lines[0].components
    assert [c.list_fen for c in components] == [334, 333, 333]
    assert [c.quantity_milli for c in components] == [2000, 2000, 2000]
    assert [c.item_list_fen for c in components] == [1400, 1400, 1400]


def test_free_items_share_equally():
    items = (
        BundleItem(product_id=1, sku="A", quantity_milli=1000, unit_price_fen=0),
        BundleItem(product_id=2, sku="B", quantity_milli=1000, unit_price_fen=0),
    )
    result = price_basket(basket(line(unit_price_fen=999, bundle_items=items)), context=context())
    assert [c.list_fen for c in result.lines[0].components] == [500, 499]


def test_bad_bundle_item_is_refused():
    bad = BundleItem(product_id=1, sku="A", quantity_milli=0, unit_price_fen=10)
    try:
        price_basket(basket(line(bundle_items=(bad,))), context=context())
    except PricingError as refused:
        assert refused.code == "invalid_bundle"
    else:
        raise AssertionError("accepted a bundle item of no quantity")
