"""Catalog pages: who may open them, the forms work, refusals write nothing."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from huiyuan.audit.models import AuditEvent
from huiyuan.catalog import selectors, services
from huiyuan.catalog.models import BundleItem, Category, PriceChange, Product
from huiyuan.core.permissions import Role

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
VIEWERS = {Role.OWNER, Role.HQ_ADMIN, Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER}
HQ = {Role.OWNER, Role.HQ_ADMIN}
COLA = "6901939621257"


@pytest.fixture
def catalog(owner):
    fuel = services.category_create(actor=owner, code="fuel", name="油品")
    petrol = services.category_create(actor=owner, code="petrol", name="汽油", parent_id=fuel.pk)
    cafe = services.category_create(actor=owner, code="cafe", name="咖啡")
    p92 = services.product_create(
        actor=owner,
        data=services.ProductInput(
            sku="FUEL-92", name="92#汽油", list_price_fen=789, unit="litre", category_id=petrol.pk
        ),
    )
    latte = services.product_create(
        actor=owner,
        data=services.ProductInput(
            sku="LATTE", name="拿铁", list_price_fen=2800, unit="cup", barcode=COLA,
            category_id=cafe.pk,
        ),
    )  # fmt: skip
    wash = services.product_create(
        actor=owner,
        data=services.ProductInput(
            sku="WASH", name="普通洗车", list_price_fen=3000, unit="session"
        ),
    )
    combo = services.product_create(
        actor=owner,
        data=services.ProductInput(
            sku="SET-1", name="洗车咖啡套餐", list_price_fen=4800, kind="bundle"
        ),
    )
    services.bundle_set_items(
        actor=owner,
        bundle_id=combo.pk,
        items=[services.BundleItemInput(wash.pk, 1000), services.BundleItemInput(latte.pk, 1000)],
    )
    return {"fuel": fuel, "petrol": petrol, "cafe": cafe, "p92": p92, "latte": latte,
            "wash": wash, "combo": combo}  # fmt: skip


def pages(catalog) -> dict[str, tuple[str, set[Role]]]:
    p92, combo = catalog["p92"].pk, catalog["combo"].pk
    return {
        "products": (reverse("console:catalog_products"), VIEWERS),
        "product": (reverse("console:catalog_product", args=[p92]), VIEWERS),
        "prices": (reverse("console:catalog_product_prices", args=[p92]), VIEWERS),
        "bundles": (reverse("console:catalog_bundles"), VIEWERS),
        "bundle_items": (reverse("console:catalog_bundle_items", args=[combo]), VIEWERS),
        "categories": (reverse("console:catalog_categories"), VIEWERS),
        "category_edit": (
            reverse("console:catalog_category_edit", args=[catalog["cafe"].pk]),
            VIEWERS,
        ),
        "create": (reverse("console:catalog_product_create"), HQ),
        "import": (reverse("console:catalog_import"), HQ),
        "template": (reverse("console:catalog_import_template"), HQ),
    }


def snapshot():
    return (
        list(Category.objects.order_by("pk").values()),
        list(Product.objects.order_by("pk").values()),
        list(PriceChange.objects.order_by("pk").values()),
        list(BundleItem.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("role", list(Role))
def test_role_page_matrix(client_for, catalog, role):
    client = client_for(role)
    for name, (url, allowed) in pages(catalog).items():
        response = client.get(url)
        assert response.status_code == (200 if role in allowed else 403), (name, role)


def test_pages_need_a_login(client, catalog):
    for url, _allowed in pages(catalog).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("console:login"))


def test_the_nav_shows_the_catalog_to_those_who_may_see_it(client_for, stores):
    products = reverse("console:catalog_products")
    importing = reverse("console:catalog_import")
    cashier = client_for(Role.CASHIER).get(reverse("console:dashboard")).content.decode()
    assert products in cashier and importing not in cashier
    owner = client_for(Role.OWNER).get(reverse("console:dashboard")).content.decode()
    assert products in owner and importing in owner
    agent = client_for(Role.CALL_CENTER).get(reverse("console:dashboard")).content.decode()
    assert products not in agent


def test_pages_render_in_chinese(owner_client, catalog):
    tree = owner_client.get(reverse("console:catalog_categories")).content.decode()
    assert "商品分类" in tree and "fuel/petrol" in tree
    listing = owner_client.get(reverse("console:catalog_products")).content.decode()
    assert "92#汽油" in listing and "¥7.89" in listing and "套餐" in listing
    bundles = owner_client.get(reverse("console:catalog_bundles")).content.decode()
    assert "洗车咖啡套餐" in bundles and "¥48.00" in bundles
    assert "¥58.00" in bundles  # the items one by one: ¥30 + ¥28


# ------------------------------------------------------------------------------ search


def test_a_scanned_barcode_opens_the_product(owner_client, catalog):
    url = reverse("console:catalog_products")
    response = owner_client.get(url, {"q": COLA, "go": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("console:catalog_product", args=[catalog["latte"].pk])
    # typing: the live results (an htmx partial) list, they never jump
    partial = owner_client.get(url, {"q": "qy", "go": "1"}, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body
    assert "92#汽油" in body and "拿铁" not in body
    by_sku = owner_client.get(url, {"q": "lat"}).content.decode()
    assert "拿铁" in by_sku and "92#汽油" not in by_sku
    by_category = owner_client.get(url, {"category": catalog["fuel"].pk}).content.decode()
    assert "92#汽油" in by_category and "拿铁" not in by_category


# -------------------------------------------------------------------------- categories


def test_add_rename_and_move_a_category(owner_client, catalog):
    url = reverse("console:catalog_categories")
    form = owner_client.get(url).context["form"]
    response = owner_client.post(
        url,
        {
            "code": "diesel",
            "name": "柴油",
            "parent": catalog["fuel"].pk,
            "position": "1",
            "idempotency_key": form.initial["idempotency_key"],
        },
    )
    assert response.status_code == 302
    diesel = Category.objects.get(code="diesel")
    assert (diesel.path, diesel.path_names) == ("fuel/diesel", ["油品", "柴油"])
    edit = reverse("console:catalog_category_edit", args=[catalog["petrol"].pk])
    response = owner_client.post(edit, {"name": "汽油类", "parent": "", "position": "3"})
    assert response.status_code == 302
    petrol = Category.objects.get(pk=catalog["petrol"].pk)
    assert (petrol.path, petrol.path_names, petrol.position) == ("petrol", ["汽油类"], 3)


def test_a_category_cannot_move_under_its_own_subcategory(owner_client, catalog):
    edit = reverse("console:catalog_category_edit", args=[catalog["fuel"].pk])
    page = owner_client.get(edit)
    offered = [value for value, _label in page.context["edit_form"].fields["parent"].choices]
    assert catalog["petrol"].pk not in offered and catalog["cafe"].pk in offered
    before = snapshot()
    response = owner_client.post(
        edit, {"name": "油品", "parent": catalog["petrol"].pk, "position": "0"}
    )
    assert response.status_code == 200
    assert response.context["edit_form"].errors["parent"]
    assert snapshot() == before


def test_a_duplicate_code_shows_on_its_field(owner_client, catalog):
    before = snapshot()
    response = owner_client.post(
        reverse("console:catalog_categories"),
        {"code": "fuel", "name": "又一个", "parent": "", "position": "0", "idempotency_key": "x"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["该分类编码已被使用。"]
    assert snapshot() == before


# ---------------------------------------------------------------------------- products


def product_post(**overrides):
    data = {
        "sku": "TEA-01",
        "name": "柠檬茶",
        "spec": "500ml",
        "barcode": "",
        "category": "",
        "kind": "standard",
        "unit": "bottle",
        "list_price": "6.50",
        "idempotency_key": "k-1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_create_a_product(owner_client, catalog):
    response = owner_client.post(
        reverse("console:catalog_product_create"),
        product_post(category=str(catalog["cafe"].pk), no_points="on"),
    )
    tea = Product.objects.get(sku="TEA-01")
    assert response["Location"] == reverse("console:catalog_product", args=[tea.pk])
    assert (tea.name, tea.spec, tea.list_price_fen, tea.unit, tea.no_points, tea.divisible) == (
        "柠檬茶",
        "500ml",
        650,
        "bottle",
        True,
        False,
    )
    assert tea.category_id == catalog["cafe"].pk
    # a new bundle goes on to its contents
    response = owner_client.post(
        reverse("console:catalog_product_create"),
        product_post(sku="SET-2", name="早餐套餐", kind="bundle", idempotency_key="k-2"),
    )
    bundle = Product.objects.get(sku="SET-2")
    assert response["Location"] == reverse("console:catalog_bundle_items", args=[bundle.pk])


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"barcode": "6901939621258"}, "barcode", "该 EAN-13 条码校验位不正确，请重新扫描或输入。"),
        ({"barcode": COLA}, "barcode", "另一商品已使用此条码。"),
        ({"sku": "LATTE"}, "sku", "另一商品已使用此商品编码。"),
        ({"list_price": "-1"}, "list_price", "请输入大于零的金额。"),
        ({"list_price": "6.555"}, "list_price", "金额最多保留两位小数。"),
    ],
)
def test_product_refusals_show_on_their_field(owner_client, catalog, overrides, field, message):
    before = snapshot()
    response = owner_client.post(
        reverse("console:catalog_product_create"), product_post(**overrides)
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert snapshot() == before


def test_edit_a_product_and_delist_it(owner_client, client_for, catalog):
    url = reverse("console:catalog_product", args=[catalog["latte"].pk])
    response = owner_client.post(
        url,
        {
            "sku": "LATTE",
            "name": "冰拿铁",
            "spec": "",
            "barcode": COLA,
            "category": str(catalog["cafe"].pk),
            "unit": "cup",
        },
    )
    assert response.status_code == 302
    latte = Product.objects.get(pk=catalog["latte"].pk)
    assert latte.name == "冰拿铁"
    event = AuditEvent.objects.filter(action="catalog.product_updated").latest("pk")
    assert (event.before, event.after) == ({"name": "拿铁"}, {"name": "冰拿铁"})
    # a cashier sees the page read-only and cannot post to it
    cashier = client_for(Role.CASHIER)
    assert cashier.get(url).context["form"].fields["name"].disabled
    before = snapshot()
    assert cashier.post(url, {"sku": "LATTE", "name": "X", "unit": "cup"}).status_code == 403
    status = reverse("console:catalog_product_status", args=[latte.pk])
    assert cashier.post(status, {"action": "delist"}).status_code == 403
    assert snapshot() == before
    owner_client.post(status, {"action": "delist"})
    assert Product.objects.get(pk=latte.pk).status == "delisted"
    owner_client.post(status, {"action": "relist"})
    assert Product.objects.get(pk=latte.pk).status == "active"


# ------------------------------------------------------------------------------ prices


def test_publish_a_price_change_and_withdraw_it(owner_client, catalog):
    url = reverse("console:catalog_product_prices", args=[catalog["p92"].pk])
    response = owner_client.post(
        url,
        {"price": "8.02", "effective_from": "2030-05-01T07:30", "store": "", "note": "发改委调价",
         "idempotency_key": "p-1"},
    )  # fmt: skip
    assert response.status_code == 302
    change = PriceChange.objects.get()
    assert change.effective_from == dt.datetime(2030, 5, 1, 7, 30, tzinfo=SHANGHAI)
    assert (change.price_fen, change.store_id, change.note) == (802, None, "发改委调价")
    page = owner_client.get(url)
    assert [row.state for row in page.context["changes"]] == ["scheduled"]
    assert "待生效" in page.content.decode()
    owner_client.post(reverse("console:catalog_price_cancel", args=[change.pk]))
    change.refresh_from_db()
    assert change.cancelled_at is not None


def test_a_change_in_the_past_is_refused_on_its_field(owner_client, catalog):
    before = snapshot()
    past = timezone.localtime() - dt.timedelta(hours=1)
    response = owner_client.post(
        reverse("console:catalog_product_prices", args=[catalog["p92"].pk]),
        {"price": "8.02", "effective_from": past.strftime("%Y-%m-%dT%H:%M"), "store": "",
         "idempotency_key": "p-2"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["effective_from"] == [
        "调价不能从过去开始；请选择现在或以后。"
    ]
    assert snapshot() == before


def test_a_manager_prices_their_own_store(client_for, stores, catalog):
    manager = client_for(Role.STORE_MANAGER)
    url = reverse("console:catalog_product_prices", args=[catalog["p92"].pk])
    form = manager.get(url).context["form"]
    assert [v for v, _label in form.fields["store"].choices] == [str(stores[0].pk)]
    response = manager.post(
        url, {"price": "7.79", "store": str(stores[0].pk), "idempotency_key": "m-1"}
    )
    assert response.status_code == 302
    now = timezone.now()
    assert selectors.price_in_force(catalog["p92"], stores[0].pk, now).price_fen == 779
    assert selectors.price_in_force(catalog["p92"], stores[1].pk, now).price_fen == 789
    before = snapshot()
    other = manager.post(
        url, {"price": "7.00", "store": str(stores[1].pk), "idempotency_key": "m-2"}
    )
    assert other.status_code == 200 and other.context["form"].errors["store"]
    chain = manager.post(url, {"price": "7.00", "store": "", "idempotency_key": "m-3"})
    assert chain.status_code == 200 and chain.context["form"].errors["store"]
    assert snapshot() == before
    page = manager.get(url)
    assert page.context["can_clear"] == {stores[0].pk}
    manager.post(
        reverse("console:catalog_store_price_clear", args=[catalog["p92"].pk]),
        {"store": str(stores[0].pk)},
    )
    assert selectors.price_in_force(catalog["p92"], stores[0].pk, timezone.now()).price_fen == 789


# ----------------------------------------------------------------------------- bundles


def test_set_a_bundles_contents_by_scanning(owner_client, catalog):
    url = reverse("console:catalog_bundle_items", args=[catalog["combo"].pk])
    data = {
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-0-code": COLA,  # scanned
        "items-0-quantity": "2",
        "items-1-code": "WASH",  # typed
        "items-1-quantity": "1",
        "items-2-code": "",
        "items-2-quantity": "",
    }
    assert owner_client.post(url, data).status_code == 302
    items = selectors.bundle_items(catalog["combo"].pk)
    assert [(i.item.sku, i.quantity_milli) for i in items] == [("LATTE", 2000), ("WASH", 1000)]
    before = snapshot()
    bad = owner_client.post(url, {**data, "items-1-code": "NOPE", "items-0-quantity": "1.5"})
    assert bad.status_code == 200
    forms = bad.context["formset"].forms
    assert forms[1].errors["code"] == ["没有商品使用此编码。"]
    fractional = owner_client.post(url, {**data, "items-0-quantity": "1.5"})
    assert fractional.context["formset"].forms[0].errors["quantity"] == ["拿铁 只能按整数销售。"]
    assert snapshot() == before


# ------------------------------------------------------------------------------ import


def workbook(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(["商品编码", "名称", "售价", "条码", "分类", "单位"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "商品.xlsx"
    return buffer


def test_import_checks_then_applies(owner_client, catalog):
    url = reverse("console:catalog_import")
    rows = [
        ["WATER", "矿泉水", "2", "", "cafe", "瓶"],
        ["FUEL-92", "92#汽油", "8.10", "", "", "升"],
    ]
    assert owner_client.post(url, {"file": workbook(rows)}).status_code == 302
    preview = owner_client.get(url)
    assert preview.context["plan"].ok
    assert preview.context["counts"] == {"create": 1, "update": 0}
    assert "¥7.89 →" in preview.content.decode()
    key = preview.context["pending"]["key"]
    response = owner_client.post(reverse("console:catalog_import_confirm"), {"key": key})
    assert response["Location"] == reverse("console:catalog_products")
    assert Product.objects.get(sku="WATER").unit == "bottle"
    now = timezone.now()
    assert selectors.price_in_force(catalog["p92"], None, now).price_fen == 810


def test_an_import_with_errors_cannot_be_confirmed(owner_client, catalog):
    url = reverse("console:catalog_import")
    owner_client.post(url, {"file": workbook([["BAD SKU", "", "x", "", "", ""]])})
    preview = owner_client.get(url)
    assert not preview.context["plan"].ok
    assert reverse("console:catalog_import_confirm") not in preview.content.decode()
    report = owner_client.get(reverse("console:catalog_import_report"))
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    before = snapshot()
    key = preview.context["pending"]["key"]
    owner_client.post(reverse("console:catalog_import_confirm"), {"key": key})
    assert snapshot() == before
