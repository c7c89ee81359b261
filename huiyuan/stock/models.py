"""Stock (I2, 库存): a ledger of movements per store and product, and what it is read by.

Quantities are thousandths of the product's unit (``quantity_milli``, as checkout's lines:
2 pieces = 2000, 12.345 L = 12345). Money is fen.

``Movement`` rows are append-only: each carries its signed quantity and the on-hand after it
(``balance_after_milli``). ``StockLevel`` caches the on-hand per (store, product); it is
changed only by ``services.levels.movements_post``, in the transaction that writes the
movements, under the level rows' lock taken in (store, product) order. ``huiyuan
verify-stock`` re-derives every level from the movements.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class BelowZero(models.TextChoices):
    """What a sale may do to stock it does not have (负库存销售)."""

    ALLOW = "allow", _("Allow, with a warning")
    REFUSE = "refuse", _("Refuse the sale")


class StockItem(models.Model):
    """A product whose stock is kept (库存商品). Products without a row are not tracked
    (services, amount-only lines); ``tracked=False`` stops tracking one on purpose."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    tracked = models.BooleanField(_("stock tracked"), default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("stock item")

    def __str__(self) -> str:
        return f"{self.product_id} tracked={self.tracked}"


class StockPolicy(models.Model):
    """The chain's selling-below-zero policy: one row, pk 1 (no row: allow)."""

    below_zero = models.CharField(
        _("selling below zero"), max_length=10, choices=BelowZero.choices, default="allow"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stock policy")


class StoreStockPolicy(models.Model):
    """A store's own selling-below-zero policy, overriding the chain's."""

    store = models.OneToOneField("stores.Store", on_delete=models.PROTECT, related_name="+")
    below_zero = models.CharField(_("selling below zero"), max_length=10, choices=BelowZero.choices)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("store stock policy")


class StockLevel(models.Model):
    """On hand (现存量) at one store: a cache of its movements, and its reorder point."""

    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    on_hand_milli = models.BigIntegerField(_("on hand"), default=0)
    # Below this, the product is on the store's low-stock list (None: never).
    reorder_point_milli = models.BigIntegerField(_("reorder point"), null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stock level")
        ordering = ["store_id", "product_id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "product"], name="stock_level_once"),
            models.CheckConstraint(
                condition=Q(reorder_point_milli__isnull=True) | Q(reorder_point_milli__gte=0),
                name="stock_reorder_point_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}/{self.product_id}: {self.on_hand_milli}"

    @property
    def is_low(self) -> bool:
        return (
            self.reorder_point_milli is not None and self.on_hand_milli <= self.reorder_point_milli
        )


class Movement(models.Model):
    """One change of a store's stock of a product (库存流水). Never edited or deleted."""

    class Kind(models.TextChoices):
        PURCHASE_IN = "purchase_in", _("Purchase in")  # 进货入库
        SALE_OUT = "sale_out", _("Sale out")  # 销售出库
        RETURN_IN = "return_in", _("Return in")  # 退货入库
        STOCKTAKE = "stocktake", _("Stocktake variance")  # 盘点差异
        TRANSFER_OUT = "transfer_out", _("Transfer out")  # 调拨出库
        TRANSFER_IN = "transfer_in", _("Transfer in")  # 调拨入库
        ADJUST = "adjust", _("Adjustment")  # 手工调整

    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    quantity_milli = models.BigIntegerField(_("quantity"))  # signed: + in, − out
    balance_after_milli = models.BigIntegerField(_("on hand after"))
    unit_cost_fen = models.BigIntegerField(_("unit cost"), null=True, blank=True)
    cost_fen = models.BigIntegerField(_("cost"), null=True, blank=True)
    supplier = models.CharField(_("supplier"), max_length=60, blank=True, default="")
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    reference = models.CharField(_("reference"), max_length=60, blank=True, default="")
    # What caused it: a sale line (sales, returns, reversals) or one of our documents.
    sale_line = models.ForeignKey(
        "checkout.SaleLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    document_kind = models.CharField(max_length=20, blank=True, default="")
    document_id = models.BigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=60, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["store", "product", "id"], name="stock_movement_timeline"),
            models.Index(fields=["document_kind", "document_id"], name="stock_movement_document"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity_milli=0), name="stock_movement_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.store_id}/{self.product_id} {self.quantity_milli}"


class Purchase(models.Model):
    """A purchase-in (进货单): goods received at a store from a supplier, at a unit cost."""

    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    supplier = models.CharField(_("supplier"), max_length=60)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    total_cost_fen = models.BigIntegerField(_("total cost"), default=0)
    created_by = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("purchase")  # 进货单
        ordering = ["-created_at", "-id"]


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity_milli = models.BigIntegerField(_("quantity"))
    unit_cost_fen = models.BigIntegerField(_("unit cost"))
    cost_fen = models.BigIntegerField(_("cost"))

    class Meta:
        ordering = ["purchase_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_milli__gt=0, unit_cost_fen__gte=0, cost_fen__gte=0),
                name="stock_purchase_line_positive",
            ),
        ]


class Stocktake(models.Model):
    """A stocktake (盘点) of a store: expected quantities taken when it starts, counted
    quantities entered, and the variance posted as movements."""

    class Status(models.TextChoices):
        COUNTING = "counting", _("Counting")  # 盘点中
        POSTED = "posted", _("Posted")  # 已过账
        CANCELLED = "cancelled", pgettext_lazy("stocktake", "Cancelled")  # 已作废

    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default="counting")
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    posted_by = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stocktake")  # 盘点单
        ordering = ["-created_at", "-id"]


class StocktakeLine(models.Model):
    stocktake = models.ForeignKey(Stocktake, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    expected_milli = models.BigIntegerField(_("expected"))  # on hand when the count began
    counted_milli = models.BigIntegerField(_("counted"), null=True, blank=True)
    variance_milli = models.BigIntegerField(_("variance"), null=True, blank=True)  # when posted

    class Meta:
        ordering = ["stocktake_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "product"], name="stock_take_line_once"),
            models.CheckConstraint(
                condition=Q(counted_milli__isnull=True) | Q(counted_milli__gte=0),
                name="stock_take_counted_not_negative",
            ),
        ]


class Transfer(models.Model):
    """A transfer (调拨) between two stores: sent (out of the source, in transit), then
    received at the destination with the quantities that arrived; the difference stays
    on the document."""

    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", _("In transit")  # 在途
        RECEIVED = "received", _("Received")  # 已收货

    from_store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    to_store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default="in_transit")
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    sent_by = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(db_index=True)
    received_by = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    receive_note = models.CharField(_("note"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("transfer")  # 调拨单
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_store=models.F("to_store")), name="stock_transfer_two_stores"
            ),
        ]


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    sent_milli = models.BigIntegerField(_("sent"))
    received_milli = models.BigIntegerField(_("received"), null=True, blank=True)
    # sent − received, once received: > 0 lost in transit, < 0 more arrived than was sent.
    difference_milli = models.BigIntegerField(_("difference"), null=True, blank=True)

    class Meta:
        ordering = ["transfer_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "product"], name="stock_transfer_line_once"
            ),
            models.CheckConstraint(
                condition=Q(sent_milli__gt=0), name="stock_transfer_sent_positive"
            ),
            models.CheckConstraint(
                condition=Q(received_milli__isnull=True) | Q(received_milli__gte=0),
                name="stock_transfer_received_not_negative",
            ),
        ]
