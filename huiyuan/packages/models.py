"""Count, period and course cards (N1: 次卡, 期限卡, 课程卡).

A **plan** (``PackagePlan``) is the offer, tied to one catalog product: selling the product
opens one **member package** (``MemberPackage``) per unit sold, holding a copy of the plan's
terms (a later edit of the plan never changes what was sold). A package holds one or more
**items** (``PackageItem``): a count card one item of N uses, a period card one item without
a count (any number of visits, at most ``limit_count`` per ``limit_period``), a course card
several items, each with its own count. Every visit is a ``PackageUse`` row; undoing one
adds a reversing row (``reverses``) and gives the use back. Refunding the unused part
closes the package with a ``PackageRefund``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_USES = 10_000
MAX_VALIDITY = 3_660  # days, or months (the form bounds months to 120)


class Kind(models.TextChoices):
    COUNT = "count", _("Count card")  # 次卡
    PERIOD = "period", _("Period card")  # 期限卡
    COURSE = "course", _("Course card")  # 课程卡


class ValidityUnit(models.TextChoices):
    DAY = "day", _("days")
    MONTH = "month", _("months")


class Activation(models.TextChoices):
    SALE = "sale", _("From the day of sale")
    FIRST_USE = "first_use", _("From the first use")


class LimitPeriod(models.TextChoices):
    DAY = "day", _("per day")
    WEEK = "week", _("per week")
    MONTH = "month", _("per month")


class PackagePlan(models.Model):
    """The offer sold through a catalog product (one plan per product)."""

    product = models.OneToOneField(
        "catalog.Product",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product"),
    )
    name = models.CharField(_("plan name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    validity_value = models.PositiveIntegerField(_("validity"), null=True, blank=True)
    validity_unit = models.CharField(
        _("validity unit"), max_length=10, choices=ValidityUnit.choices, default=ValidityUnit.DAY
    )
    activation = models.CharField(
        _("validity starts"), max_length=10, choices=Activation.choices, default=Activation.SALE
    )
    limit_count = models.PositiveIntegerField(_("uses per period"), null=True, blank=True)
    limit_period = models.CharField(
        _("limit period"), max_length=10, choices=LimitPeriod.choices, default=LimitPeriod.DAY
    )
    all_stores = models.BooleanField(_("usable at every store"), default=True)
    store_ids = models.JSONField(_("stores"), default=list, blank=True)
    refund_fee_fen = models.BigIntegerField(_("refund fee (fixed)"), default=0)
    refund_fee_bp = models.PositiveIntegerField(_("refund fee (basis points)"), default=0)
    active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("package plan")  # 次卡方案
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_fee_fen__gte=0), name="packages_plan_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(refund_fee_bp__lte=10_000), name="packages_plan_fee_bp_range"
            ),
            models.CheckConstraint(
                condition=~Q(kind="period") | Q(validity_value__isnull=False),
                name="packages_period_has_validity",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlanItem(models.Model):
    """What a plan gives: ``uses`` visits of ``name`` (None: unlimited, a period card)."""

    plan = models.ForeignKey(PackagePlan, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("item"), max_length=40)
    uses = models.PositiveIntegerField(_("uses"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan item")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class MemberPackage(models.Model):
    """One sold unit of a plan, owned by a member (and the card it was sold on)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(_("package code"), max_length=20, unique=True)
    plan = models.ForeignKey(PackagePlan, on_delete=models.PROTECT, related_name="packages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60)
    member = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="packages",
    )
    card = models.ForeignKey(
        "cards.Card", null=True, blank=True, on_delete=models.PROTECT, related_name="packages"
    )
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    sale = models.ForeignKey(
        "checkout.Sale", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sale_line = models.ForeignKey(
        "checkout.SaleLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit_index = models.PositiveIntegerField(default=0)  # which unit of the line (0…)
    paid_fen = models.BigIntegerField(_("paid"), default=0)
    # The plan's terms as sold.
    validity_value = models.PositiveIntegerField(null=True, blank=True)
    validity_unit = models.CharField(
        max_length=10, choices=ValidityUnit.choices, default=ValidityUnit.DAY
    )
    limit_count = models.PositiveIntegerField(null=True, blank=True)
    limit_period = models.CharField(
        max_length=10, choices=LimitPeriod.choices, default=LimitPeriod.DAY
    )
    all_stores = models.BooleanField(default=True)
    store_ids = models.JSONField(default=list, blank=True)
    refund_fee_fen = models.BigIntegerField(default=0)
    refund_fee_bp = models.PositiveIntegerField(default=0)
    # Local dates, both included; None until activated (``first_use``), or no end.
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    expiring_notified_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("member package")  # 会员次卡
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["member", "status"], name="packages_member_status"),
            models.Index(fields=["status", "valid_until"], name="packages_status_until"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(paid_fen__gte=0), name="packages_paid_not_negative"),
            models.UniqueConstraint(
                fields=["sale_line", "unit_index"],
                condition=Q(sale_line__isnull=False),
                name="packages_one_per_unit_sold",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.code}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class PackageItem(models.Model):
    """What is left of one item of a package: ``total`` uses (None: unlimited), ``used``."""

    package = models.ForeignKey(MemberPackage, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("item"), max_length=40)
    total = models.PositiveIntegerField(null=True, blank=True)
    used = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__isnull=True) | Q(used__lte=models.F("total")),
                name="packages_item_used_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def remaining(self) -> int | None:
        return None if self.total is None else self.total - self.used


class PackageUse(models.Model):
    """One visit (核销), or the undo of one (``reverses`` set, by a manager)."""

    class Kind(models.TextChoices):
        USE = "use", _("Use")
        UNDO = "undo", _("Undo")

    package = models.ForeignKey(MemberPackage, on_delete=models.PROTECT, related_name="uses")
    item = models.ForeignKey(PackageItem, on_delete=models.PROTECT, related_name="uses")
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.USE)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    business_date = models.DateField()  # the store's local date of the visit
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    remaining_after = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("package use")  # 核销记录
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["package", "kind", "business_date"], name="packages_use_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="use", reverses__isnull=True)
                | Q(kind="undo", reverses__isnull=False),
                name="packages_undo_reverses_a_use",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.package_id}"


class PackageRefund(models.Model):
    """The unused part of a package paid back over the counter (the package closes)."""

    package = models.OneToOneField(MemberPackage, on_delete=models.PROTECT, related_name="refund")
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(_("method"), max_length=20)
    paid_fen = models.BigIntegerField()
    total_units = models.PositiveIntegerField()
    unused_units = models.PositiveIntegerField()
    gross_fen = models.BigIntegerField()  # paid × unused / total, rounded down
    fee_fen = models.BigIntegerField()
    amount_fen = models.BigIntegerField()  # what was handed back
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("package refund")  # 次卡退款
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gte=0, fee_fen__gte=0, gross_fen__gte=0),
                name="packages_refund_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.package_id}"
