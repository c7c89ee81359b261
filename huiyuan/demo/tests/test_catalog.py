"""The demo catalog: realistic, valid, loaded through the services, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.catalog import selectors
from huiyuan.catalog.barcodes import is_valid_ean13
from huiyuan.catalog.models import BundleItem, Category, PriceChange, Product
from huiyuan.catalog.selectors import LineRequest
from huiyuan.core.clock import local_day_start, local_today
from huiyuan.demo import catalog, loader

pytestmark = pytest.mark.django_db


def test_loading_twice_adds_nothing():
    org = loader.load_org()
    first = catalog.load_catalog(org)
    assert first == {"categories": 16, "products": 40, "prices": 3 * catalog.DAILY_DAYS + 1}
    rows = (
        Category.objects.count(),
        Product.objects.count(),
        BundleItem.objects.count(),
        PriceChange.objects.count(),
        AuditEvent.objects.count(),
    )
    assert catalog.load_catalog(loader.load_org()) == {"categories": 0, "products": 0, "prices": 0}
    assert rows == (
        Category.objects.count(),
        Product.objects.count(),
        BundleItem.objects.count(),
        PriceChange.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_catalog_is_valid_and_priced():
    org = loader.load_org()
    catalog.load_catalog(org)
    barcodes = [b for b in Product.objects.values_list("barcode", flat=True) if b]
    assert len(barcodes) == 24 and all(is_valid_ean13(b) for b in barcodes)
    assert Product.objects.filter(kind="bundle").count() == 2
    vouchers = Product.objects.filter(category__code="group-buy")
    assert {(v.no_points, v.no_discount) for v in vouchers} == {(True, True)}
    p92 = Product.objects.get(sku="FUEL-92")
    assert p92.divisible and p92.category.path == "fuel/petrol"
    tomorrow = local_today() + dt.timedelta(days=1)
    at = local_day_start(tomorrow) + dt.timedelta(hours=8)
    chain = selectors.price_in_force(p92, None, at)
    assert (chain.source, chain.price_fen) == ("chain", catalog.daily_fuel_price(735, tomorrow))
    west = org.stores["HZ03"]
    assert selectors.price_in_force(p92, west.pk, timezone.now()).price_fen == 730
    lines = selectors.pricing_lines_for(
        [
            LineRequest(line_id=1, code="SET-01", quantity_milli=1000),
            LineRequest(line_id=2, code="FUEL-92", amount_fen=20000),
        ],
        store_id=west.pk,
        at=timezone.now(),
    )
    assert [i.sku for i in lines[0].bundle_items] == ["WASH-01", "CAFE-01"]
    assert (lines[0].unit_price_fen, lines[1].unit_price_fen) == (3800, 730)
