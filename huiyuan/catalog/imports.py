"""Excel import of the product list: validate every row first, then apply all or nothing.

The sheet's first row names the columns (in any order; Chinese or English headers):
SKU/商品编码, 名称, 售价 (yuan, at most two decimals) are required; 条码, 分类 (a category
code, a full path such as ``油品/汽油``, or a name used once), 单位 (件, 升, 千克…),
可拆零, 规格, 不积分, 不打折 are optional. A row whose SKU is new creates a product; a row
whose SKU exists updates what differs, and a different price becomes a chain-wide price
change from the moment the import is applied (never the past).

``product_import_validate`` reads and checks every row and writes nothing;
``product_import_apply`` applies a plan without errors in ONE transaction through the
services (any refusal rolls the whole import back), once per idempotency key;
``product_import_report`` gives the rows back as a spreadsheet with an error column and
``product_import_template`` an empty sheet to fill in.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.catalog.barcodes import barcode_clean
from huiyuan.catalog.models import (
    DIVISIBLE_UNITS,
    MAX_PRICE_FEN,
    UNIT_SYMBOLS,
    Category,
    Product,
    ProductImport,
)
from huiyuan.catalog.selectors import prices_in_force
from huiyuan.catalog.services.common import run_once
from huiyuan.catalog.services.prices import price_change_schedule
from huiyuan.catalog.services.products import (
    ProductInput,
    clean_name,
    clean_sku,
    clean_spec,
    product_create,
    product_update,
)
from huiyuan.core.errors import DomainError, ValidationFailed
from huiyuan.core.money import fen_to_yuan_str, yuan_to_fen
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.sheets import cell_text

MAX_ROWS = 5_000
MAX_FILE_BYTES = 5 * 1024 * 1024

# Accepted header texts (compared without spaces, case-insensitive) for each column.
HEADERS: dict[str, tuple[str, ...]] = {
    "sku": ("商品编码", "SKU", "货号", "编码"),
    "name": ("名称", "商品名称", "品名", "name"),
    "price": ("售价", "零售价", "价格", "售价(元)", "售价（元）", "price"),
    "barcode": ("条码", "条形码", "barcode"),
    "category": ("分类", "商品分类", "分类编码", "category"),
    "unit": ("单位", "unit"),
    "divisible": ("可拆零", "按小数销售", "divisible"),
    "spec": ("规格", "spec", "specification"),
    "no_points": ("不积分", "no points", "no_points"),
    "no_discount": ("不打折", "不参与折扣", "no discount", "no_discount"),
}
REQUIRED = ("sku", "name", "price")
COLUMNS = tuple(HEADERS)  # the template's order
YES = {"是", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "n", "no", "false", "0", ""}

# Unit as typed: the Chinese word, the code, or an everyday alias.
UNIT_WORDS: dict[str, str] = {
    **{symbol: code for code, symbol in UNIT_SYMBOLS.items()},
    **{code: code for code in Product.Unit.values},
    "l": Product.Unit.LITRE,
    "公升": Product.Unit.LITRE,
    "公斤": Product.Unit.KG,
    "斤": "",  # not a unit we price in: refused with a hint
}

ACTION_CREATE = "create"
ACTION_UPDATE = "update"  # fields change (and perhaps the price)
ACTION_REPRICE = "reprice"  # only the price changes
ACTION_UNCHANGED = "unchanged"


class ImportRowFailed(DomainError):
    """A row was refused while applying: the whole import was rolled back."""

    code = "import_row_failed"


@dataclass
class ImportRow:
    row: int  # the spreadsheet's row number (the header is row 1)
    cells: dict[str, str]
    action: str = ""
    product_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)  # the product's cleaned fields
    price_fen: int | None = None
    old_price_fen: int | None = None  # the chain price in force, for an existing product
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def repriced(self) -> bool:
        return self.action != ACTION_CREATE and self.price_fen != self.old_price_fen


@dataclass
class ImportPlan:
    rows: list[ImportRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    filename: str = ""

    @property
    def ok(self) -> bool:
        return not self.file_errors and bool(self.rows) and all(r.ok for r in self.rows)

    @property
    def error_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.ok]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.ok and r.action == action)

    @property
    def repriced_count(self) -> int:
        return sum(1 for r in self.rows if r.ok and r.repriced)

    def dump(self) -> dict[str, Any]:
        """A JSON-able form (kept in the session between preview and confirmation)."""
        return {
            "rows": [[getattr(r, name) for name in _ROW_FIELDS] for r in self.rows],
            "file_errors": list(self.file_errors),
            "filename": self.filename,
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> ImportPlan:
        return cls(
            rows=[
                ImportRow(**dict(zip(_ROW_FIELDS, r, strict=True))) for r in data.get("rows", [])
            ],
            file_errors=list(data.get("file_errors", [])),
            filename=str(data.get("filename", "")),
        )


_ROW_FIELDS = tuple(f.name for f in fields(ImportRow))


# ----------------------------------------------------------------------------- reading


def _cell_text(value: object) -> str:
    """A cell as the text a person typed (``huiyuan.core.sheets.cell_text``); a yes/no
    cell as 是 or 否, the words the flag columns take."""
    if isinstance(value, bool):
        return "是" if value else "否"
    return cell_text(value)


def _header_key(text: str) -> str:
    return text.replace(" ", "").replace("　", "").lower()


_ACCEPTED = {_header_key(a): name for name, texts in HEADERS.items() for a in texts}


def _header_map(cells: Iterable[object]) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    problems: list[str] = []
    for index, raw in enumerate(cells):
        name = _ACCEPTED.get(_header_key(_cell_text(raw)))
        if name is None:
            continue
        if name in columns:
            problems.append(
                gettext("The column %(name)s appears twice in the header.")
                % {"name": HEADERS[name][0]}
            )
        columns[name] = index
    for name in REQUIRED:
        if name not in columns:
            problems.append(
                gettext("The header row has no %(name)s column.") % {"name": HEADERS[name][0]}
            )
    return columns, problems


def _read_rows(file: IO[bytes] | bytes) -> tuple[list[ImportRow], list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    data = file if isinstance(file, bytes) else file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return [], [gettext("The file is larger than 5 MB.")]
    unreadable = gettext("This file cannot be read: upload an Excel workbook (.xlsx).")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        return [], [unreadable]
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return [], [unreadable]
        lines = sheet.iter_rows(values_only=True)
        header = next(lines, None)
        if header is None:
            return [], [gettext("The file is empty.")]
        columns, problems = _header_map(header)
        if problems:
            return [], problems
        rows: list[ImportRow] = []
        for number, values in enumerate(lines, start=2):
            cells = {
                name: _cell_text(values[index]) if index < len(values) else ""
                for name, index in columns.items()
            }
            if not any(cells.values()):
                continue  # blank lines are ignored
            if len(rows) == MAX_ROWS:
                return [], [
                    gettext("An import has at most %(max)s rows; split the file.")
                    % {"max": f"{MAX_ROWS:,}"}
                ]
            rows.append(ImportRow(row=number, cells=cells))
        if not rows:
            return [], [gettext("The file has no rows under its header.")]
        return rows, []
    finally:
        workbook.close()


# -------------------------------------------------------------------------- validating


class _Categories:
    """Categories found by code, by full path (``油品/汽油``) or by a name used once."""

    def __init__(self) -> None:
        self.by_code: dict[str, int] = {}
        self.by_path: dict[str, int] = {}
        names: dict[str, list[int]] = {}
        for pk, code, path_names in Category.objects.values_list("pk", "code", "path_names"):
            self.by_code[code.lower()] = pk
            self.by_path["/".join(path_names)] = pk
            names.setdefault(path_names[-1], []).append(pk)
        self.by_name = {name: ids[0] for name, ids in names.items() if len(ids) == 1}
        self.ambiguous = {name for name, ids in names.items() if len(ids) > 1}

    def find(self, text: str) -> int | None:
        key = "/".join(part.strip() for part in text.replace("／", "/").split("/"))
        return self.by_code.get(text.lower()) or self.by_path.get(key) or self.by_name.get(text)


def _flag(row: ImportRow, name: str, label: str) -> bool | None:
    text = row.cells.get(name, "").strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False if text else None
    row.errors.append(gettext("%(column)s: write 是 or 否.") % {"column": label})
    return None


def _column_error(column: str, exc: DomainError) -> str:
    return gettext("%(column)s: %(message)s") % {"column": column, "message": exc.message}


def _check(row: ImportRow, categories: _Categories) -> None:
    cells = row.cells  # only the sheet's columns: a column left out changes nothing
    cleaners = (("sku", clean_sku), ("name", clean_name), ("spec", clean_spec))
    for name, clean in (*cleaners, ("barcode", barcode_clean)):
        if name not in cells:
            continue
        try:
            row.changes[name] = clean(cells[name])
        except DomainError as exc:
            row.errors.append(_column_error(HEADERS[name][0], exc))
    price_text = cells.get("price", "")
    if not price_text:
        row.errors.append(gettext("售价: enter a price."))
    else:
        try:
            fen = yuan_to_fen(price_text)
        except DomainError as exc:
            row.errors.append(_column_error("售价", exc))
        else:
            if fen < 0:
                row.errors.append(gettext("售价: a price cannot be negative."))
            elif fen > MAX_PRICE_FEN:
                row.errors.append(
                    gettext("售价: at most %(max)s.") % {"max": fen_to_yuan_str(MAX_PRICE_FEN)}
                )
            else:
                row.price_fen = fen
    unit_text = cells.get("unit", "").strip()
    unit = UNIT_WORDS.get(unit_text.lower(), UNIT_WORDS.get(unit_text)) if unit_text else None
    if unit_text and not unit:
        row.errors.append(
            gettext("单位: unknown unit %(unit)s; use one of %(units)s.")
            % {"unit": unit_text, "units": "、".join(UNIT_SYMBOLS.values())}
        )
    elif unit:
        row.changes["unit"] = unit
    category_text = cells.get("category", "").strip()
    if category_text:
        category_id = categories.find(category_text)
        if category_id is None:
            row.errors.append(
                gettext("分类: %(name)s is used by several categories; write its code.")
                % {"name": category_text}
                if category_text in categories.ambiguous
                else gettext("分类: no category %(name)s.") % {"name": category_text}
            )
        else:
            row.changes["category_id"] = category_id
    for name, label in (
        ("divisible", "可拆零"),
        ("no_points", "不积分"),
        ("no_discount", "不打折"),
    ):
        if name in cells:
            value = _flag(row, name, label)
            if value is not None:
                row.changes[name] = value


def product_import_validate(
    *, actor: Actor, file: IO[bytes] | bytes, filename: str = ""
) -> ImportPlan:
    """Read and check every row; nothing is written. The plan lists every problem found."""
    require(actor, Perm.CATALOG_MANAGE)
    rows, file_errors = _read_rows(file)
    plan = ImportPlan(rows=rows, file_errors=file_errors, filename=filename[:100])
    if file_errors:
        return plan
    categories = _Categories()
    for row in rows:
        _check(row, categories)
    skus = {r.changes["sku"] for r in rows if "sku" in r.changes}
    barcodes = {r.changes["barcode"] for r in rows if r.changes.get("barcode")}
    existing = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    taken = dict(
        Product.objects.filter(barcode__in=barcodes)
        .exclude(barcode="")
        .values_list("barcode", "sku")
    )
    prices = prices_in_force([p.pk for p in existing.values()], store_id=None, at=timezone.now())
    first_sku: dict[str, int] = {}
    first_barcode: dict[str, int] = {}
    for row in rows:
        sku, barcode = row.changes.get("sku"), row.changes.get("barcode")
        if sku:
            if sku in first_sku:
                row.errors.append(gettext("Same SKU as row %(row)s.") % {"row": first_sku[sku]})
            else:
                first_sku[sku] = row.row
        if barcode:
            if barcode in first_barcode:
                row.errors.append(
                    gettext("Same barcode as row %(row)s.") % {"row": first_barcode[barcode]}
                )
            else:
                first_barcode[barcode] = row.row
            owner_sku = taken.get(barcode)
            if owner_sku is not None and owner_sku != sku:
                row.errors.append(
                    gettext("条码: already the barcode of %(sku)s.") % {"sku": owner_sku}
                )
        product = existing.get(sku) if sku else None
        if product is None:
            row.action = ACTION_CREATE
            if "unit" in row.changes and "divisible" not in row.changes:
                row.changes["divisible"] = row.changes["unit"] in DIVISIBLE_UNITS
            continue
        row.product_id = product.pk
        row.old_price_fen = prices[product.pk].price_fen
        if product.is_bundle and row.changes.get("divisible"):
            row.errors.append(gettext("可拆零: a bundle is sold in whole units."))
        differs = {
            name: value
            for name, value in row.changes.items()
            if name != "sku" and getattr(product, name) != value
        }
        row.changes = {"sku": sku, **differs}
        row.action = (
            ACTION_UPDATE if differs else ACTION_REPRICE if row.repriced else ACTION_UNCHANGED
        )
    return plan


# ---------------------------------------------------------------------------- applying


def product_import_apply(*, actor: Actor, plan: ImportPlan, idempotency_key: str) -> ProductImport:
    """Apply every row in one transaction; any refusal rolls the whole import back.

    Confirming the same import again (the same key) returns the first result."""
    require(actor, Perm.CATALOG_MANAGE)
    key = (idempotency_key or "").strip()
    if not key:
        raise ValidationFailed(
            _("Idempotency-Key is required (1–100 characters)."), code="idempotency_key_required"
        )
    if not plan.ok:
        raise ValidationFailed(
            _("The file has errors: correct them and upload it again."), code="import_has_errors"
        )

    def perform() -> ProductImport:
        with transaction.atomic():
            created = updated = repriced = 0
            for row in plan.rows:
                try:
                    if row.action == ACTION_CREATE:
                        assert row.price_fen is not None
                        product_create(
                            actor=actor,
                            data=ProductInput(
                                list_price_fen=row.price_fen,
                                **{k: v for k, v in row.changes.items()},
                            ),
                        )
                        created += 1
                        continue
                    assert row.product_id is not None
                    changes = {k: v for k, v in row.changes.items() if k != "sku"}
                    if changes:
                        product_update(actor=actor, product_id=row.product_id, **changes)
                        updated += 1
                    if row.repriced:
                        assert row.price_fen is not None
                        price_change_schedule(
                            actor=actor,
                            product_id=row.product_id,
                            price_fen=row.price_fen,
                            note=gettext("Excel import"),
                        )
                        repriced += 1
                except DomainError as exc:
                    raise ImportRowFailed(
                        _("Row %(row)s (%(sku)s): %(message)s. Nothing was imported.")
                        % {
                            "row": row.row,
                            "sku": row.cells.get("sku", ""),
                            "message": exc.message,
                        },
                        details={"row": row.row, "code": exc.code},
                    ) from exc
            result = ProductImport.objects.create(
                filename=plan.filename,
                created=created,
                updated=updated,
                repriced=repriced,
                created_by=actor.staff,
                created_at=timezone.now(),
            )
            audit_record(
                actor=actor,
                action="catalog.products_imported",
                subject_type="product_import",
                subject_id=result.pk,
                after={
                    "file": plan.filename,
                    "rows": len(plan.rows),
                    "created": created,
                    "updated": updated,
                    "repriced": repriced,
                },
            )
        return result

    return run_once(
        actor=actor,
        key=key,
        kind="catalog_import",
        payload={"file": plan.filename, "rows": plan.dump()["rows"]},
        perform=perform,
        load=lambda pk: ProductImport.objects.get(pk=pk),
    )


# ------------------------------------------------------------------------------ sheets


def _titles() -> list[tuple[str, int]]:
    widths = {"sku": 16, "name": 24, "price": 10, "barcode": 18, "category": 16, "spec": 14}
    return [(HEADERS[name][0], widths.get(name, 9)) for name in COLUMNS]


def product_import_report(plan: ImportPlan) -> bytes:
    """The rows as an .xlsx, each with what it will do or its errors (for correcting)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(gettext("Product import check"))
    header = workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
    bad = workbook.add_format({"font_color": "#C62828", "text_wrap": True})
    good = workbook.add_format({"font_color": "#2E7D32"})
    text = workbook.add_format({"num_format": "@"})
    titles = [(gettext("Row"), 6), *_titles(), (gettext("Status"), 10), (gettext("Errors"), 60)]
    for col, (title, width) in enumerate(titles):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, header)
    sheet.freeze_panes(1, 0)
    status_col = len(titles) - 2
    line = 1
    for problem in plan.file_errors:
        sheet.write_string(line, status_col + 1, problem, bad)
        line += 1
    labels = {
        ACTION_CREATE: gettext("New"),
        ACTION_UPDATE: gettext("Update"),
        ACTION_REPRICE: gettext("New price"),
        ACTION_UNCHANGED: gettext("Unchanged"),
    }
    for row in plan.rows:
        sheet.write_number(line, 0, row.row)
        for col, name in enumerate(COLUMNS, start=1):
            sheet.write_string(line, col, row.cells.get(name, ""), text)
        if row.ok:
            sheet.write_string(line, status_col, labels.get(row.action, ""), good)
        else:
            sheet.write_string(line, status_col, gettext("Error"), bad)
            sheet.write_string(line, status_col + 1, "；".join(row.errors), bad)
        line += 1
    workbook.close()
    return buffer.getvalue()


def product_import_template() -> bytes:
    """An empty product list with the expected header, two example rows and a guide."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(gettext("Products"))
    header = workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    for col, (title, width) in enumerate(_titles()):
        sheet.set_column(col, col, width, text)
        sheet.write_string(0, col, title, header)
    examples = (
        ("DRINK-001", "矿泉水 550ml", "2.00", "6901234567892", "", "瓶", "否", "550ml", "否", "否"),
        ("WASH-001", "普通洗车", "30.00", "", "", "次", "否", "", "否", "否"),
    )
    for line, values in enumerate(examples, start=1):
        for col, value in enumerate(values):
            sheet.write_string(line, col, value, text)
    guide = workbook.add_worksheet(gettext("Guide"))
    guide.set_column(0, 0, 14)
    guide.set_column(1, 1, 80)
    notes = (
        ("商品编码", gettext("Required. Letters, digits, '.', '-', '_'; an existing one updates.")),
        ("名称", gettext("Required. At most 60 characters.")),
        ("售价", gettext("Required. In yuan, at most two decimals (7.89).")),
        ("条码", gettext("Optional. A 13-digit EAN-13 must pass its check digit.")),
        ("分类", gettext("Optional. A category code, a path (油品/汽油) or a name.")),
        ("单位", "、".join(UNIT_SYMBOLS.values())),
        ("可拆零", gettext("是 for goods sold in fractions (fuel, loose goods).")),
        ("不积分 / 不打折", gettext("是 for items that earn no points or get no discount.")),
    )
    for line, (name, note) in enumerate(notes):
        guide.write_string(line, 0, name, header)
        guide.write_string(line, 1, note)
    workbook.close()
    return buffer.getvalue()
