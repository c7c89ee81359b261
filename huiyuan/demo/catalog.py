"""Demo catalog: a gas station with a shop, a car wash, a café and a salon.

Categories, about forty products (goods with EAN-13 barcodes, the café's items with
in-store codes, services by the session, fuel by the litre, group-buy vouchers that earn no
points and get no discount), two bundles, the fuel grades' daily prices for the coming week
(chain-wide, at midnight) and one store's own 92# price. Everything goes through the
catalog services, as head office (and the 西湖店 manager for their store's price).

Idempotent: categories by code, products by SKU, a bundle's items only when it has none,
a daily price only for a day that has none; a second run adds nothing (a run on a later
day schedules the days still missing).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from huiyuan.catalog import services
from huiyuan.catalog.barcodes import ean13_check_digit
from huiyuan.catalog.models import BundleItem, Category, PriceChange, Product
from huiyuan.core.clock import local_day_start, local_today

if TYPE_CHECKING:
    from huiyuan.demo.loader import Org

# (code, name, parent code)
CATEGORIES = (
    ("fuel", "油品", None),
    ("petrol", "汽油", "fuel"),
    ("diesel", "柴油", "fuel"),
    ("shop", "便利店", None),
    ("drinks", "饮料", "shop"),
    ("snacks", "零食", "shop"),
    ("car-care", "汽车用品", "shop"),
    ("carwash", "洗车美容", None),
    ("cafe", "咖啡茶饮", None),
    ("coffee", "咖啡", "cafe"),
    ("tea", "茶饮", "cafe"),
    ("bakery", "烘焙", "cafe"),
    ("salon", "美发护理", None),
    ("hair", "美发", "salon"),
    ("care", "护理", "salon"),
    ("group-buy", "团购券", None),
)

# (sku, name, spec, category, unit, list price in fen, barcode stem (12 digits) or "")
PRODUCTS: tuple[tuple[str, str, str, str, str, int, str], ...] = (
    ("FUEL-92", "92#汽油", "", "petrol", "litre", 735, ""),
    ("FUEL-95", "95#汽油", "", "petrol", "litre", 782, ""),
    ("FUEL-0", "0#柴油", "", "diesel", "litre", 702, ""),
    ("DRK-001", "农夫山泉饮用天然水", "550ml", "drinks", "bottle", 200, "692116850925"),
    ("DRK-002", "可口可乐", "500ml", "drinks", "bottle", 350, "690193962125"),
    ("DRK-003", "红牛维生素功能饮料", "250ml", "drinks", "item", 650, "692013860100"),
    ("DRK-004", "东方树叶茉莉花茶", "500ml", "drinks", "bottle", 500, "692116857101"),
    ("DRK-005", "康师傅冰红茶", "500ml", "drinks", "bottle", 350, "690133910170"),
    ("DRK-006", "元气森林白桃气泡水", "480ml", "drinks", "bottle", 550, "697070521031"),
    ("DRK-007", "伊利纯牛奶", "250ml", "drinks", "box", 350, "690701010250"),
    ("SNK-001", "乐事薯片原味", "70g", "snacks", "pack", 850, "692404630002"),
    ("SNK-002", "奥利奥夹心饼干", "97g", "snacks", "pack", 990, "690149500121"),
    ("SNK-003", "德芙丝滑牛奶巧克力", "43g", "snacks", "item", 1290, "690462500043"),
    ("SNK-004", "旺旺雪饼", "84g", "snacks", "pack", 680, "690240100084"),
    ("SNK-005", "卫龙大面筋", "102g", "snacks", "pack", 500, "693529010102"),
    ("CAR-001", "玻璃水 -25℃", "2L", "car-care", "bottle", 1500, "697333210020"),
    ("CAR-002", "车载抽纸", "120抽", "car-care", "box", 800, "694553012012"),
    ("CAR-003", "全合成机油 5W-30", "4L", "car-care", "bottle", 26800, "690120053040"),
    ("WASH-01", "普通洗车", "", "carwash", "session", 3000, ""),
    ("WASH-02", "精致洗车", "", "carwash", "session", 5800, ""),
    ("WASH-03", "全车打蜡", "", "carwash", "session", 16800, ""),
    ("WASH-04", "内饰深度清洁", "", "carwash", "session", 19800, ""),
    ("CAFE-01", "美式咖啡", "中杯", "coffee", "cup", 1800, "200000000101"),
    ("CAFE-02", "拿铁", "中杯", "coffee", "cup", 2200, "200000000102"),
    ("CAFE-03", "卡布奇诺", "中杯", "coffee", "cup", 2200, "200000000103"),
    ("CAFE-04", "生椰拿铁", "大杯", "coffee", "cup", 2500, "200000000104"),
    ("TEA-01", "港式柠檬茶", "大杯", "tea", "cup", 1500, "200000000201"),
    ("TEA-02", "珍珠奶茶", "大杯", "tea", "cup", 1600, "200000000202"),
    ("BAK-01", "黄油牛角包", "", "bakery", "item", 1200, "200000000301"),
    ("BAK-02", "火腿芝士三明治", "", "bakery", "item", 1800, "200000000302"),
    ("BAK-03", "纽约芝士蛋糕", "", "bakery", "item", 2800, "200000000303"),
    ("HAIR-01", "洗剪吹", "", "hair", "session", 6800, ""),
    ("HAIR-02", "烫发", "中长发", "hair", "session", 38800, ""),
    ("HAIR-03", "染发", "中长发", "hair", "session", 32800, ""),
    ("CARE-01", "面部补水护理", "60分钟", "care", "session", 19800, ""),
    ("CARE-02", "肩颈舒缓按摩", "45分钟", "care", "session", 12800, ""),
)
# Group-buy vouchers (美团/抖音) are paid for elsewhere: no points, no member discount.
GROUP_BUY = (
    ("GB-01", "美团普通洗车券", "group-buy", "session", 1990),
    ("GB-02", "抖音咖啡双人券", "group-buy", "set", 2990),
)
# (sku, name, price in fen, [(item sku, quantity in thousandths)])
BUNDLES = (
    ("SET-01", "洗车+咖啡套餐", 3800, [("WASH-01", 1000), ("CAFE-01", 1000)]),
    ("SET-02", "早餐套餐", 2800, [("CAFE-02", 1000), ("BAK-01", 1000)]),
)
# The fuel grades' chain-wide price for the coming days, at local midnight: a few fen up or
# down each day around the list price, the same for the same date on every run.
DAILY_FUEL = ("FUEL-92", "FUEL-95", "FUEL-0")
DAILY_DAYS = 7
_DAILY_STEPS = (0, 2, -1, 3, -2, 1, -3, 2, 0, -1)
# 西湖店 sells 92# five fen under the chain's list price (its own price).
STORE_PRICE = ("HZ03", "manager3", "FUEL-92", -5)


def _barcode(stem: str) -> str:
    return f"{stem}{ean13_check_digit(stem)}" if stem else ""


def daily_fuel_price(list_price_fen: int, day: dt.date) -> int:
    """The demo's price of a fuel grade on ``day`` (deterministic)."""
    return list_price_fen + _DAILY_STEPS[day.toordinal() % len(_DAILY_STEPS)]


def load_catalog(org: Org) -> dict[str, int]:
    """Create what is missing; returns how many categories, products and prices it added."""
    hq = org.actor("hq")
    added = {"categories": 0, "products": 0, "prices": 0}
    categories = {c.code: c for c in Category.objects.all()}
    for code, name, parent in CATEGORIES:
        if code not in categories:
            categories[code] = services.category_create(
                actor=hq,
                code=code,
                name=name,
                parent_id=categories[parent].pk if parent else None,
                position=len(categories),
            )
            added["categories"] += 1
    existing = set(Product.objects.values_list("sku", flat=True))
    specs: list[dict[str, Any]] = [
        {
            "sku": sku,
            "name": name,
            "spec": spec,
            "category_id": categories[category].pk,
            "unit": unit,
            "list_price_fen": price,
            "barcode": _barcode(stem),
        }
        for sku, name, spec, category, unit, price, stem in PRODUCTS
    ]
    specs += [
        {
            "sku": sku,
            "name": name,
            "category_id": categories[category].pk,
            "unit": unit,
            "list_price_fen": price,
            "no_points": True,
            "no_discount": True,
        }
        for sku, name, category, unit, price in GROUP_BUY
    ]
    specs += [
        {
            "sku": sku,
            "name": name,
            "kind": Product.Kind.BUNDLE,
            "unit": Product.Unit.SET,
            "list_price_fen": price,
            "category_id": categories["cafe"].pk,
        }
        for sku, name, price, _items in BUNDLES
    ]
    for spec in specs:
        if spec["sku"] not in existing:
            services.product_create(actor=hq, data=services.ProductInput(**spec))
            added["products"] += 1
    products = {p.sku: p for p in Product.objects.all()}
    for sku, _name, _price, items in BUNDLES:
        bundle = products[sku]
        if not BundleItem.objects.filter(bundle=bundle).exists():
            services.bundle_set_items(
                actor=hq,
                bundle_id=bundle.pk,
                items=[services.BundleItemInput(products[item].pk, qty) for item, qty in items],
            )
    added["prices"] += _load_prices(org, products)
    return added


def _load_prices(org: Org, products: dict[str, Product]) -> int:
    hq = org.actor("hq")
    now = timezone.now()
    today = local_today()
    added = 0
    for sku in DAILY_FUEL:
        product = products[sku]
        taken = set(
            PriceChange.objects.filter(product=product, store__isnull=True).values_list(
                "effective_from", flat=True
            )
        )
        for offset in range(1, DAILY_DAYS + 1):
            day = today + dt.timedelta(days=offset)
            start = local_day_start(day)
            if start <= now or start in taken:
                continue
            services.price_change_schedule(
                actor=hq,
                product_id=product.pk,
                price_fen=daily_fuel_price(product.list_price_fen, day),
                effective_from=start,
                note="每日油价",
            )
            added += 1
    store_code, username, sku, delta = STORE_PRICE
    store = org.stores[store_code]
    product = products[sku]
    if not PriceChange.objects.filter(product=product, store=store).exists():
        services.store_price_set(
            actor=org.actor(username),
            product_id=product.pk,
            store_id=store.pk,
            price_fen=product.list_price_fen + delta,
            note="门店让利",
        )
        added += 1
    return added
