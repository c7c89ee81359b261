"""The catalog (I1, D2): categories as a tree, products, dated prices, bundles (套餐).

Prices form one append-only timeline per product: ``Product.list_price_fen`` is the chain's
list price until the first chain-wide ``PriceChange`` takes effect; a change with a store is
that store's own price (an override) until the store's next change, and a store change
without a price returns the store to the chain's price. A change is published for now or
later, never for the past, and one not yet in force may be cancelled; nothing is rewritten.
``selectors.prices_in_force`` reads the timeline.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,29}$"
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
BARCODE_PATTERN = r"^[0-9A-Za-z-]{4,32}$"
MAX_DEPTH = 5  # levels of categories
MAX_PRICE_FEN = 100_000_000  # ¥1,000,000: far above any unit price a shop asks


class Category(models.Model):
    """A node of the category tree. ``code`` is stable (tier rates and promotions name it);
    the name may change and the node may move. ``path`` and ``path_names`` repeat the
    ancestors' codes and names (most general first) so a product's category path comes with
    the product in one query; moves and renames rewrite them for the whole subtree."""

    code = models.CharField(_("category code"), max_length=30, unique=True)
    name = models.CharField(_("category name"), max_length=40)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent category"),
    )
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    path = models.CharField(max_length=200, db_index=True)  # "fuel/petrol"
    path_names = models.JSONField(default=list)  # ["油品", "汽油"]
    depth = models.PositiveSmallIntegerField(default=0)  # 0 for a top-level category
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("category")  # 商品分类
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def path_codes(self) -> tuple[str, ...]:
        return tuple(self.path.split("/")) if self.path else ()

    @property
    def full_name(self) -> str:
        return " / ".join(self.path_names)


class Product(models.Model):
    class Kind(models.TextChoices):
        STANDARD = "standard", _("Product")
        BUNDLE = "bundle", _("Bundle")

    class Status(models.TextChoices):
        ACTIVE = "active", _("On sale")
        DELISTED = "delisted", _("Delisted")

    class Unit(models.TextChoices):
        PIECE = "piece", pgettext_lazy("unit", "piece")  # 件
        ITEM = "item", pgettext_lazy("unit", "item")  # 个
        LITRE = "litre", pgettext_lazy("unit", "litre")  # 升
        KG = "kg", pgettext_lazy("unit", "kg")
        SESSION = "session", pgettext_lazy("unit", "session")  # 次
        CUP = "cup", pgettext_lazy("unit", "cup")  # 杯
        BOTTLE = "bottle", pgettext_lazy("unit", "bottle")  # 瓶
        BOX = "box", pgettext_lazy("unit", "box")  # 盒
        PACK = "pack", pgettext_lazy("unit", "pack")  # 包
        SET = "set", pgettext_lazy("unit", "set")  # 套
        HOUR = "hour", pgettext_lazy("unit", "hour")  # 小时
        METRE = "metre", pgettext_lazy("unit", "metre")  # 米

    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    barcode = models.CharField(_("barcode"), max_length=32, blank=True, default="")
    name = models.CharField(_("product name"), max_length=60)
    initials = models.CharField(max_length=60, blank=True, default="", db_index=True)
    spec = models.CharField(_("specification"), max_length=40, blank=True, default="")
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("category"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STANDARD)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    divisible = models.BooleanField(_("sold in fractions of a unit"), default=False)
    list_price_fen = models.BigIntegerField(_("list price"))
    no_points = models.BooleanField(_("earns no points"), default=False)
    no_discount = models.BooleanField(_("no member discount or promotion"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    delisted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("product")  # 商品
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["barcode"], condition=~Q(barcode=""), name="catalog_barcode_unique"
            ),
            models.CheckConstraint(
                condition=Q(list_price_fen__gte=0, list_price_fen__lte=MAX_PRICE_FEN),
                name="catalog_list_price_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind="bundle", divisible=True), name="catalog_bundle_whole_units"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_bundle(self) -> bool:
        return self.kind == self.Kind.BUNDLE


# How a unit reads after a quantity in Chinese (the pricing engine's reasons use it).
UNIT_SYMBOLS: dict[str, str] = {
    Product.Unit.PIECE: "件",
    Product.Unit.ITEM: "个",
    Product.Unit.LITRE: "升",
    Product.Unit.KG: "千克",
    Product.Unit.SESSION: "次",
    Product.Unit.CUP: "杯",
    Product.Unit.BOTTLE: "瓶",
    Product.Unit.BOX: "盒",
    Product.Unit.PACK: "包",
    Product.Unit.SET: "套",
    Product.Unit.HOUR: "小时",
    Product.Unit.METRE: "米",
}
# Units that are usually sold in fractions (the default of ``divisible``).
DIVISIBLE_UNITS = frozenset({Product.Unit.LITRE, Product.Unit.KG, Product.Unit.METRE})


class PriceChange(models.Model):
    """A price from ``effective_from`` on: chain-wide (no store) or one store's own.

    A store row without a price ends the store's override: from then on the store follows
    the chain's price again. Rows are never edited; a change not yet in force may be
    cancelled (``cancelled_at``)."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="price_changes")
    store = models.ForeignKey(
        "stores.Store", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    price_fen = models.BigIntegerField(_("price"), null=True, blank=True)
    effective_from = models.DateTimeField(_("effective from"))
    note = models.CharField(_("note"), max_length=100, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("price change")  # 调价
        ordering = ["-effective_from", "-id"]
        indexes = [
            models.Index(
                fields=["product", "store", "effective_from"], name="catalog_price_timeline"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_fen__isnull=True)
                | Q(price_fen__gte=0, price_fen__lte=MAX_PRICE_FEN),
                name="catalog_price_range",
            ),
            models.CheckConstraint(
                condition=Q(store__isnull=False) | Q(price_fen__isnull=False),
                name="catalog_chain_price_required",
            ),
            models.UniqueConstraint(
                fields=["product", "effective_from"],
                condition=Q(store__isnull=True, cancelled_at__isnull=True),
                name="catalog_chain_change_once",
            ),
            models.UniqueConstraint(
                fields=["product", "store", "effective_from"],
                condition=Q(store__isnull=False, cancelled_at__isnull=True),
                name="catalog_store_change_once",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.product_id}@{self.store_id or '*'} {self.price_fen} from {self.effective_from}"
        )


class BundleItem(models.Model):
    """One product inside a bundle (套餐), with its quantity per bundle."""

    bundle = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="bundle_items")
    item = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="in_bundles")
    quantity_milli = models.BigIntegerField(_("quantity"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("bundle item")  # 套餐明细
        ordering = ["bundle_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "item"], name="catalog_bundle_item_once"),
            models.CheckConstraint(
                condition=Q(quantity_milli__gt=0), name="catalog_bundle_quantity_positive"
            ),
            models.CheckConstraint(
                condition=~Q(bundle=models.F("item")), name="catalog_bundle_not_itself"
            ),
        ]


class ProductImport(models.Model):
    """One applied Excel import of the product list (the result an idempotent replay finds)."""

    filename = models.CharField(max_length=100, blank=True, default="")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    repriced = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("product import")
        ordering = ["-created_at"]
