"""Excel import of the product list: every row checked first, then all or nothing."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from huiyuan.audit.models import AuditEvent
from huiyuan.catalog import imports, selectors, services
from huiyuan.catalog.models import PriceChange, Product, ProductImport
from huiyuan.catalog.tests.conftest import catalog_snapshot
from huiyuan.core.errors import PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role

pytestmark = pytest.mark.django_db

HEADER = ["商品编码", "名称", "售价", "条码", "分类", "单位", "不积分"]


def xlsx(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def existing(owner, fuel, make_product):
    return make_product(sku="WATER", name="矿泉水", list_price_fen=200, barcode="6901234567892")


GOOD = [
    ["FUEL-95", "95#汽油", 8.42, "", "油品/汽油", "升", "否"],
    ["CAFE-01", "拿铁", "28", "6901939621257", "petrol", "杯", "是"],
    ["WATER", "矿泉水 550ml", "2.50", "6901234567892", "", "瓶", ""],
    [None, None, None, None, None, None, None],  # a blank line is skipped
]


def test_a_good_file_creates_updates_and_reprices(owner, existing):
    plan = imports.product_import_validate(actor=owner, file=xlsx(GOOD), filename="商品.xlsx")
    assert plan.ok, [r.errors for r in plan.rows]
    assert [(r.row, r.action) for r in plan.rows] == [
        (2, "create"),
        (3, "create"),
        (4, "update"),
    ]
    assert plan.rows[2].changes == {"sku": "WATER", "name": "矿泉水 550ml", "unit": "bottle"}
    assert (plan.rows[2].old_price_fen, plan.rows[2].price_fen) == (200, 250)
    assert (plan.count("create"), plan.count("update"), plan.repriced_count) == (2, 1, 1)
    assert Product.objects.count() == 1  # validating writes nothing

    result = imports.product_import_apply(actor=owner, plan=plan, idempotency_key="imp-1")
    assert (result.created, result.updated, result.repriced) == (2, 1, 1)
    fuel95 = Product.objects.get(sku="FUEL-95")
    assert (fuel95.list_price_fen, fuel95.unit, fuel95.divisible, fuel95.no_points) == (
        842,
        "litre",
        True,
        False,
    )
    assert fuel95.category.path == "fuel/petrol"
    latte = Product.objects.get(sku="CAFE-01")
    assert (latte.barcode, latte.unit, latte.divisible, latte.no_points) == (
        "6901939621257",
        "cup",
        False,
        True,
    )
    water = Product.objects.get(sku="WATER")
    assert (water.name, water.unit, water.list_price_fen) == ("矿泉水 550ml", "bottle", 200)
    change = PriceChange.objects.get(product=water)
    assert (change.price_fen, change.store_id, change.note) == (250, None, "Excel 导入")
    assert selectors.price_in_force(water, None, timezone.now()).price_fen == 250
    event = AuditEvent.objects.get(action="catalog.products_imported")
    assert event.after == {
        "file": "商品.xlsx",
        "rows": 3,
        "created": 2,
        "updated": 1,
        "repriced": 1,
    }


def test_a_file_with_row_errors_writes_nothing(owner, existing):
    rows = [
        ["OK-1", "好商品", "1.00", "", "", "", ""],
        ["BAD 1", "", "-1", "6901939621258", "无此分类", "打", "也许"],
        ["OK-1", "重复编码", "1.234", "", "", "", ""],
        ["OK-2", "条码被占用", "3", "6901234567892", "", "", ""],
    ]
    before = catalog_snapshot()
    plan = imports.product_import_validate(actor=owner, file=xlsx(rows))
    assert not plan.ok
    assert [r.row for r in plan.error_rows] == [3, 4, 5]
    assert plan.rows[1].errors == [
        "商品编码：商品编码为 1–40 位字母、数字、“.”、“-”或“_”，以字母或数字开头。",
        "名称：请填写名称。",
        "条码：该 EAN-13 条码校验位不正确，请重新扫描或输入。",
        "售价：价格不能为负数。",
        "单位：未知单位“打”；请使用 件、个、升、千克、次、杯、瓶、盒、包、套、小时、米 之一。",
        "分类：没有分类“无此分类”。",
        "不积分：请填写 是 或 否。",
    ]
    assert plan.rows[2].errors == ["售价：金额最多保留两位小数。", "商品编码与第 2 行重复。"]
    assert plan.rows[3].errors == ["条码：已是商品 WATER 的条码。"]
    with pytest.raises(ValidationFailed) as refused:
        imports.product_import_apply(actor=owner, plan=plan, idempotency_key="imp-2")
    assert refused.value.code == "import_has_errors"
    assert catalog_snapshot() == before
    report = load_workbook(io.BytesIO(imports.product_import_report(plan)), read_only=True)
    lines = list(report.worksheets[0].iter_rows(values_only=True))
    assert lines[0][-2:] == ("状态", "错误")
    assert lines[1][-2:] == ("新建", None)
    assert lines[3][0] == 4
    assert lines[3][-2] == "错误"


def test_file_level_problems(owner):
    missing = imports.product_import_validate(actor=owner, file=xlsx([], header=["名称", "条码"]))
    assert missing.file_errors == ["表头缺少“商品编码”列。", "表头缺少“售价”列。"]
    empty = imports.product_import_validate(actor=owner, file=xlsx([]))
    assert empty.file_errors == ["表头下面没有数据行。"]
    junk = imports.product_import_validate(actor=owner, file=b"not a workbook")
    assert junk.file_errors == ["无法读取该文件：请上传 Excel 工作簿（.xlsx）。"]


def test_the_template_reads_back_clean(owner):
    plan = imports.product_import_validate(actor=owner, file=imports.product_import_template())
    assert plan.ok, [r.errors for r in plan.rows]
    assert [r.changes["sku"] for r in plan.rows] == ["DRINK-001", "WASH-001"]
    assert plan.rows[1].changes["unit"] == "session"


def test_only_head_office_imports(actors, owner):
    with pytest.raises(PermissionDenied):
        imports.product_import_validate(actor=actors[Role.STORE_MANAGER], file=xlsx(GOOD))
    plan = imports.product_import_validate(actor=owner, file=xlsx(GOOD))
    with pytest.raises(PermissionDenied):
        imports.product_import_apply(actor=actors[Role.CASHIER], plan=plan, idempotency_key="k")


@pytest.mark.django_db(transaction=True)
def test_confirming_twice_imports_once(owner, fuel, stores):
    plan = imports.product_import_validate(actor=owner, file=xlsx(GOOD[:2]))
    first = imports.product_import_apply(actor=owner, plan=plan, idempotency_key="imp-3")
    again = imports.product_import_apply(
        actor=owner, plan=imports.ImportPlan.load(plan.dump()), idempotency_key="imp-3"
    )
    assert again.pk == first.pk
    assert ProductImport.objects.count() == 1
    assert Product.objects.count() == 2


def test_a_row_refused_while_applying_rolls_everything_back(owner, existing):
    plan = imports.product_import_validate(actor=owner, file=xlsx(GOOD))
    # between the check and the confirmation someone takes the new product's barcode
    services.product_update(actor=owner, product_id=existing.pk, barcode="6901939621257")
    before = catalog_snapshot()
    with pytest.raises(imports.ImportRowFailed) as failed:
        imports.product_import_apply(actor=owner, plan=plan, idempotency_key="imp-4")
    assert failed.value.details == {"row": 3, "code": "duplicate_barcode"}
    assert catalog_snapshot() == before
