"""Sales and their lines, returns, and the promotions the pricing engine applies.

A quick consumption (快速消费) is a sale of one amount-only line; a basket sale has a line
per product. Returns (退货) give back exactly what their lines took (``pricing.line_refund``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sale(models.Model):
    class Status(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        REVERSED = "reversed", _("Reversed")
        RETURNED = "returned", _("Returned")  # every line returned

    number = models.CharField(_("receipt number"), max_length=30, unique=True)
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="sales"
    )
    card = models.ForeignKey(
        "cards.Card", null=True, blank=True, on_delete=models.PROTECT, related_name="sales"
    )
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    operator = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The sales associate (导购) credited with the sale (commission), if one was named.
    associate = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("category"), max_length=40, blank=True)
    amount_fen = models.BigIntegerField(_("amount"))
    discount_fen = models.BigIntegerField(_("tier discount"), default=0)
    payable_fen = models.BigIntegerField(_("payable"))
    paid_principal_fen = models.BigIntegerField(default=0)
    paid_bonus_fen = models.BigIntegerField(default=0)
    points_used = models.BigIntegerField(default=0)
    points_offset_fen = models.BigIntegerField(default=0)
    paid_external_fen = models.BigIntegerField(default=0)
    external_method = models.CharField(max_length=20, blank=True)
    # The external payments, each method and amount: [{"method": "cash", "amount_fen": n}].
    payments = models.JSONField(default=list, blank=True)
    points_earned = models.BigIntegerField(default=0)
    earn_explanation = models.JSONField(default=dict, blank=True)
    tier_code = models.CharField(max_length=30, blank=True)
    notes = models.JSONField(default=list, blank=True)  # the engine's basket reasons
    # What returns took back so far (a tier's window counts the sale less these).
    returned_payable_fen = models.BigIntegerField(default=0)
    returned_points_earned = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETED)
    operation = models.OneToOneField(
        "ledger.Operation", null=True, blank=True, on_delete=models.PROTECT, related_name="sale"
    )
    reversal = models.OneToOneField(
        "ledger.Operation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_sale",
    )
    reversed_at = models.DateTimeField(null=True, blank=True)
    supplemented_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("sale")  # 消费
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    payable_fen=models.F("paid_principal_fen")
                    + models.F("paid_bonus_fen")
                    + models.F("points_offset_fen")
                    + models.F("paid_external_fen")
                ),
                name="checkout_sale_paid_in_full",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class SaleLine(models.Model):
    """One line of a sale as the pricing engine priced and paid it.

    Every amount is the engine's allocation to this line, so a partial return refunds
    exactly ``pricing.line_refund`` of it; ``returned_milli`` counts what came back.
    """

    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    # None for a quick (amount-only) line: a category and an amount, no product.
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sku = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=60, blank=True)
    category_path = models.JSONField(default=list, blank=True)  # codes, most general first
    unit = models.CharField(max_length=10, blank=True)
    unit_price_fen = models.BigIntegerField()
    quantity_milli = models.BigIntegerField()
    list_fen = models.BigIntegerField()
    discount_fen = models.BigIntegerField(default=0)
    points_offset_fen = models.BigIntegerField(default=0)
    points_used = models.BigIntegerField(default=0)
    principal_fen = models.BigIntegerField(default=0)
    bonus_fen = models.BigIntegerField(default=0)
    external_fen = models.BigIntegerField(default=0)
    points_eligible_fen = models.BigIntegerField(default=0)
    points_earned = models.BigIntegerField(default=0)
    returned_milli = models.BigIntegerField(default=0)
    # [{"rule": {kind, id, version, code}, "amount_fen": n, "reason": {code, params}}]
    adjustments = models.JSONField(default=list, blank=True)
    components = models.JSONField(default=list, blank=True)  # a bundle's items
    notes = models.JSONField(default=list, blank=True)  # [{code, params}]

    class Meta:
        verbose_name = _("sale line")  # 消费明细
        ordering = ["sale_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["sale", "position"], name="checkout_line_position"),
            models.CheckConstraint(
                condition=models.Q(quantity_milli__gt=0), name="checkout_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(returned_milli__gte=0)
                & models.Q(returned_milli__lte=models.F("quantity_milli")),
                name="checkout_line_returned_within_quantity",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    list_fen=models.F("discount_fen")
                    + models.F("points_offset_fen")
                    + models.F("principal_fen")
                    + models.F("bonus_fen")
                    + models.F("external_fen")
                ),
                name="checkout_line_paid_in_full",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}#{self.position} {self.name}"

    @property
    def payable_fen(self) -> int:
        return self.list_fen - self.discount_fen

    @property
    def returnable_milli(self) -> int:
        return self.quantity_milli - self.returned_milli


class SaleReturn(models.Model):
    """A return (退货) of some lines of a sale: what went back, to which payment kind.

    ``principal_fen``/``bonus_fen`` went back to the card, ``points_returned`` (points that
    paid) too; ``external_fen`` is handed back over the counter, by ``refund_payments``.
    Earned points of the returned part are taken back (``points_taken_back``); those the
    member had already spent are charged at the points policy's rate (``deduction_fen``,
    taken from the external refund first, then from principal) — see docs/money-rules.md.
    """

    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="returns")
    number = models.CharField(_("return number"), max_length=34, unique=True)
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    operator = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    authorised_by = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    operation = models.OneToOneField(
        "ledger.Operation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sale_return",
    )
    reason = models.CharField(_("reason"), max_length=200)
    list_fen = models.BigIntegerField(default=0)
    discount_fen = models.BigIntegerField(default=0)
    payable_fen = models.BigIntegerField(default=0)
    points_offset_fen = models.BigIntegerField(default=0)
    points_returned = models.BigIntegerField(default=0)
    principal_fen = models.BigIntegerField(default=0)
    bonus_fen = models.BigIntegerField(default=0)
    external_fen = models.BigIntegerField(default=0)
    points_earned = models.BigIntegerField(default=0)  # earned by the returned part
    points_taken_back = models.BigIntegerField(default=0)
    points_unrecovered = models.BigIntegerField(default=0)  # already spent: charged instead
    deduction_fen = models.BigIntegerField(default=0)
    refund_payments = models.JSONField(default=list, blank=True)  # [{method, amount_fen}]
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("sale return")  # 退货
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class SaleReturnLine(models.Model):
    sale_return = models.ForeignKey(SaleReturn, on_delete=models.PROTECT, related_name="lines")
    sale_line = models.ForeignKey(SaleLine, on_delete=models.PROTECT, related_name="returns")
    quantity_milli = models.BigIntegerField()
    list_fen = models.BigIntegerField(default=0)
    discount_fen = models.BigIntegerField(default=0)
    points_offset_fen = models.BigIntegerField(default=0)
    points_used = models.BigIntegerField(default=0)
    principal_fen = models.BigIntegerField(default=0)
    bonus_fen = models.BigIntegerField(default=0)
    external_fen = models.BigIntegerField(default=0)
    points_earned = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("returned line")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity_milli__gt=0), name="checkout_return_quantity_positive"
            ),
        ]


class Promotion(models.Model):
    """A dated promotion (促销) as data for the pricing engine, versioned like earn rules.

    A published version never changes, except that a later version (or ``promotion_end``)
    ends its future: ``effective_to`` is set to the moment the change takes effect.
    """

    class Kind(models.TextChoices):
        PERCENT_OFF = "percent_off", _("Percentage (price paid ‰)")
        AMOUNT_OFF_PER_UNIT = "amount_off_per_unit", _("Amount off per unit")
        FIXED_UNIT_PRICE = "fixed_unit_price", _("Fixed unit price")

    class Stacking(models.TextChoices):
        BEST_OF = "best_of", _("The better of promotion and tier discount")
        STACK = "stack", _("Promotion, then the tier discount")
        EXCLUSIVE = "exclusive", _("Promotion only")

    code = models.SlugField(_("promotion code"), max_length=40)
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    value = models.BigIntegerField(_("value"))
    product_ids = models.JSONField(_("products"), default=list, blank=True)
    category_codes = models.JSONField(_("categories"), default=list, blank=True)
    store_ids = models.JSONField(_("stores"), default=list, blank=True)
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True)  # ISO 1–7
    on_holidays = models.BooleanField(_("on public holidays"), default=False)
    date_ranges = models.JSONField(_("date ranges"), default=list, blank=True)  # [[from, to]]
    effective_from = models.DateTimeField(_("effective from"))
    effective_to = models.DateTimeField(_("effective until"), null=True, blank=True)
    priority = models.IntegerField(_("priority"), default=100)
    stacking = models.CharField(
        _("with the tier discount"), max_length=10, choices=Stacking.choices, default="best_of"
    )
    created_by = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("promotion")  # 促销
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="checkout_promotion_version"),
        ]
        indexes = [models.Index(fields=["effective_from", "effective_to"])]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class Holiday(models.Model):
    """A public holiday (法定节假日): promotions marked "on holidays" run on these dates."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=30)

    class Meta:
        verbose_name = _("public holiday")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class JoiningPolicy(models.Model):
    """Automatic joining (M2, 自动入会): when a walk-in customer who gives a mobile becomes a
    member at the counter, and the joining fee (工本费) charged then. One row per chain."""

    class Mode(models.TextChoices):
        OFF = "off", _("Only when the cashier enrols the customer")
        FIRST_PURCHASE = "first_purchase", _("On the first purchase")
        PAY_TO_JOIN = "pay_to_join", _("On paying by WeChat or Alipay (支付即会员)")
        SPEND_THRESHOLD = "spend_threshold", _("When one purchase reaches a threshold (满额入会)")

    mode = models.CharField(_("joining"), max_length=20, choices=Mode.choices, default=Mode.OFF)
    threshold_fen = models.BigIntegerField(_("threshold"), default=0)
    fee_fen = models.BigIntegerField(_("joining fee"), default=0)
    card_type = models.ForeignKey(
        "cards.CardType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("card type issued"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("joining policy")  # 入会规则
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold_fen__gte=0, fee_fen__gte=0),
                name="checkout_joining_policy_amounts",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_mode_display())
