"""Products: create, edit, delist and relist.

SKU is unique; a barcode is unique when set, and a 13-digit one must pass the EAN-13
check. The list price is given once, at creation: later prices are price changes
(``services.prices``), so the price a past moment had is never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.catalog.barcodes import barcode_clean
from huiyuan.catalog.models import DIVISIBLE_UNITS, SKU_PATTERN, Category, Product
from huiyuan.catalog.services.common import clean_flag, clean_price, clean_text, run_once
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require

NAME_MAX = 60
SPEC_MAX = 40
REASON_MAX = 200
# What ``product_update`` may change. Not the kind (a bundle stays a bundle) and not the
# list price (a price change is dated: ``price_change_schedule``).
EDITABLE = (
    "sku",
    "barcode",
    "name",
    "spec",
    "category_id",
    "unit",
    "divisible",
    "no_points",
    "no_discount",
)


@dataclass
class ProductInput:
    sku: str
    name: str
    list_price_fen: int
    category_id: int | None = None
    barcode: str = ""
    spec: str = ""
    kind: str = Product.Kind.STANDARD
    unit: str = Product.Unit.PIECE
    divisible: bool | None = None  # None: as the unit usually is (litre, kg, metre)
    no_points: bool = False
    no_discount: bool = False


def name_initials(name: str) -> str:
    """What a cashier types to find a product: the pinyin initials of its Chinese
    characters and its letters and digits as they are ("92#汽油" → "92qy")."""
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda text: text)
    return "".join(c for c in "".join(letters).lower() if c.isascii() and c.isalnum())[:60]


def product_state(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "barcode": product.barcode,
        "name": product.name,
        "spec": product.spec,
        "category_id": product.category_id,
        "kind": product.kind,
        "unit": product.unit,
        "divisible": product.divisible,
        "list_price_fen": product.list_price_fen,
        "no_points": product.no_points,
        "no_discount": product.no_discount,
        "status": product.status,
    }


# ----------------------------------------------------------------------------- checks


def clean_sku(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not re.fullmatch(SKU_PATTERN, text):
        raise ValidationFailed(
            _("A SKU is 1–40 letters, digits, '.', '-' or '_', starting with a letter or digit."),
            code="invalid_sku",
            field="sku",
        )
    return text


def clean_unit(value: object) -> str:
    if value not in Product.Unit.values:
        raise ValidationFailed(_("Unknown unit."), code="invalid_unit", field="unit")
    return str(value)


def clean_name(value: object) -> str:
    return clean_text(value, field="name", max_length=NAME_MAX)


def clean_spec(value: object) -> str:
    return clean_text(value, field="spec", max_length=SPEC_MAX, required=False)


def category_for(category_id: object) -> Category | None:
    if category_id is None:
        return None
    if isinstance(category_id, bool) or not isinstance(category_id, int):
        raise NotFound(_("Unknown category."), code="unknown_category", field="category_id")
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise NotFound(_("Unknown category."), code="unknown_category", field="category_id")
    return category


def duplicate_sku() -> Conflict:
    return Conflict(_("Another product has this SKU."), code="duplicate_sku", field="sku")


def duplicate_barcode() -> Conflict:
    return Conflict(
        _("Another product has this barcode."), code="duplicate_barcode", field="barcode"
    )


def _check_unique(sku: str, barcode: str, *, exclude: int | None = None) -> None:
    others = Product.objects.exclude(pk=exclude) if exclude else Product.objects.all()
    if others.filter(sku=sku).exists():
        raise duplicate_sku()
    if barcode and others.filter(barcode=barcode).exists():
        raise duplicate_barcode()


def _bundle_divisible() -> ValidationFailed:
    return ValidationFailed(
        _("A bundle is sold in whole units."), code="bundle_not_divisible", field="divisible"
    )


def _save(product: Product, *, fields: list[str] | None = None) -> None:
    """Save; a twin SKU or barcode that won the race becomes the same refusal."""
    try:
        with transaction.atomic():
            if fields is None:
                product.save()
            else:
                product.save(update_fields=fields)
    except IntegrityError as exc:
        if Product.objects.exclude(pk=product.pk).filter(sku=product.sku).exists():
            raise duplicate_sku() from exc
        raise duplicate_barcode() from exc


# ---------------------------------------------------------------------------- services


def product_create(*, actor: Actor, data: ProductInput, idempotency_key: str = "") -> Product:
    """Add a product (or a bundle, whose items are set with ``bundle_set_items``)."""
    require(actor, Perm.CATALOG_MANAGE)
    sku = clean_sku(data.sku)
    name = clean_name(data.name)
    spec = clean_spec(data.spec)
    barcode = barcode_clean(data.barcode)
    price = clean_price(data.list_price_fen, field="list_price_fen")
    if data.kind not in Product.Kind.values:
        raise ValidationFailed(_("Unknown product kind."), code="invalid_kind", field="kind")
    unit = clean_unit(data.unit)
    divisible = (
        unit in DIVISIBLE_UNITS and data.kind != Product.Kind.BUNDLE
        if data.divisible is None
        else clean_flag(data.divisible, field="divisible")
    )
    if divisible and data.kind == Product.Kind.BUNDLE:
        raise _bundle_divisible()
    no_points = clean_flag(data.no_points, field="no_points")
    no_discount = clean_flag(data.no_discount, field="no_discount")

    def perform() -> Product:
        with transaction.atomic():
            category = category_for(data.category_id)
            _check_unique(sku, barcode)
            product = Product(
                sku=sku,
                barcode=barcode,
                name=name,
                initials=name_initials(name),
                spec=spec,
                category=category,
                kind=data.kind,
                unit=unit,
                divisible=divisible,
                list_price_fen=price,
                no_points=no_points,
                no_discount=no_discount,
            )
            _save(product)
            audit_record(
                actor=actor,
                action="catalog.product_created",
                subject_type="product",
                subject_id=product.pk,
                after=product_state(product),
            )
        return product

    return run_once(
        actor=actor,
        key=idempotency_key,
        kind="catalog_product_create",
        payload={
            "sku": sku,
            "barcode": barcode,
            "name": name,
            "spec": spec,
            "category_id": data.category_id,
            "kind": data.kind,
            "unit": unit,
            "divisible": divisible,
            "list_price_fen": price,
            "no_points": no_points,
            "no_discount": no_discount,
        },
        perform=perform,
        load=lambda pk: Product.objects.select_related("category").get(pk=pk),
    )


def _locked_product(product_id: int) -> Product:
    product = (
        Product.objects.select_for_update().filter(pk=product_id).first()
        if isinstance(product_id, int) and not isinstance(product_id, bool)
        else None
    )
    if product is None:
        raise NotFound(_("Product not found."), code="product_not_found")
    return product


def product_update(*, actor: Actor, product_id: int, **changes: Any) -> Product:
    """Change the fields given (any of ``EDITABLE``); the others stay as they are."""
    require(actor, Perm.CATALOG_MANAGE)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        if "list_price_fen" in unknown:
            raise ValidationFailed(
                _("A price is changed with a dated price change, not by editing the product."),
                code="use_price_change",
                field="list_price_fen",
            )
        raise ValidationFailed(
            _("These fields cannot be changed."),
            code="not_editable",
            details={"fields": sorted(unknown)},
        )
    cleaners = {
        "sku": clean_sku,
        "barcode": barcode_clean,
        "name": clean_name,
        "spec": clean_spec,
        "unit": clean_unit,
        "divisible": lambda v: clean_flag(v, field="divisible"),
        "no_points": lambda v: clean_flag(v, field="no_points"),
        "no_discount": lambda v: clean_flag(v, field="no_discount"),
    }
    clean = {k: cleaners[k](v) for k, v in changes.items() if k in cleaners}
    with transaction.atomic():
        product = _locked_product(product_id)
        before = product_state(product)
        if "category_id" in changes:
            product.category = category_for(changes["category_id"])
        for name, value in clean.items():
            setattr(product, name, value)
        if product.divisible and product.is_bundle:
            raise _bundle_divisible()
        if "name" in clean:
            product.initials = name_initials(product.name)
        _check_unique(product.sku, product.barcode, exclude=product.pk)
        after = product_state(product)
        if after == before:
            return product
        _save(product)
        audit_record(
            actor=actor,
            action="catalog.product_updated",
            subject_type="product",
            subject_id=product.pk,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return product


def product_delist(*, actor: Actor, product_id: int, reason: str = "") -> Product:
    """Take a product off sale: the counter no longer sells it; its history stays."""
    return _set_status(
        actor=actor, product_id=product_id, status=Product.Status.DELISTED, reason=reason
    )


def product_relist(*, actor: Actor, product_id: int, reason: str = "") -> Product:
    """Put a delisted product back on sale."""
    return _set_status(
        actor=actor, product_id=product_id, status=Product.Status.ACTIVE, reason=reason
    )


def _set_status(*, actor: Actor, product_id: int, status: str, reason: str) -> Product:
    require(actor, Perm.CATALOG_MANAGE)
    reason = clean_text(reason, field="reason", max_length=REASON_MAX, required=False)
    with transaction.atomic():
        product = _locked_product(product_id)
        if product.status == status:
            raise Conflict(
                _("This product is already delisted.")
                if status == Product.Status.DELISTED
                else _("This product is already on sale."),
                code="already_delisted" if status == Product.Status.DELISTED else "already_listed",
            )
        before = product.status
        product.status = status
        product.delisted_at = timezone.now() if status == Product.Status.DELISTED else None
        product.save(update_fields=["status", "delisted_at", "updated_at"])
        audit_record(
            actor=actor,
            action=(
                "catalog.product_delisted"
                if status == Product.Status.DELISTED
                else "catalog.product_relisted"
            ),
            subject_type="product",
            subject_id=product.pk,
            before={"status": before},
            after={"status": status},
            note=reason,
        )
    return product
