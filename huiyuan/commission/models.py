"""Staff commission (导购提成): rules and the entries they produced.

A rule pays a sales associate for a product category (its code; the most specific code of
a line's category path that a rule names wins) or for a recharge, as a percentage (in
basis points, 1/100 of a percent) of the amount or as fixed fen per unit, optionally only
for one staff role. Entries are append-only: a return or a reversal writes reversing
entries, never edits the first.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CommissionRule(models.Model):
    class Kind(models.TextChoices):
        CATEGORY = "category", _("Product category")
        RECHARGE = "recharge", _("Recharge")

    class Method(models.TextChoices):
        PERCENT = "percent", _("Percentage of the amount")
        FIXED = "fixed", _("Fixed amount per unit")

    kind = models.CharField(_("applies to"), max_length=10, choices=Kind.choices)
    category_code = models.CharField(_("category code"), max_length=30, blank=True)
    role = models.CharField(_("role"), max_length=20, blank=True)  # blank: every role
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    rate_bp = models.PositiveIntegerField(_("rate (basis points)"), default=0)
    fixed_fen = models.BigIntegerField(_("amount per unit (fen)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("commission rule")  # 提成规则
        ordering = ["kind", "category_code", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "category_code", "role"],
                condition=Q(is_active=True),
                name="commission_one_active_rule_per_target",
            ),
            models.CheckConstraint(
                condition=Q(rate_bp__lte=10_000) & Q(fixed_fen__gte=0),
                name="commission_rule_values_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.category_code or '-'}:{self.role or '*'}"


class CommissionEntry(models.Model):
    """One credit (positive) or reversal (negative) of commission to a staff member."""

    class Source(models.TextChoices):
        SALE = "sale", _("Sale")
        RETURN = "return", _("Return")
        REVERSAL = "reversal", _("Reversal")
        RECHARGE = "recharge", _("Recharge")

    staff = models.ForeignKey("stores.Staff", on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    rule = models.ForeignKey(CommissionRule, on_delete=models.PROTECT, related_name="entries")
    sale_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    sale_line_id = models.BigIntegerField(null=True, blank=True)
    return_id = models.BigIntegerField(null=True, blank=True)
    recharge_id = models.BigIntegerField(null=True, blank=True)
    # The first credit this entry reverses (a return or reversal of a sale line).
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    base_fen = models.BigIntegerField()  # the amount the rule applied to (signed)
    quantity_milli = models.BigIntegerField(default=0)  # units (signed), for fixed rules
    amount_fen = models.BigIntegerField()  # signed: reversals are negative
    business_date = models.DateField(db_index=True)  # the store's local date
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("commission entry")  # 提成明细
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sale_line_id"],
                condition=Q(source="sale"),
                name="commission_one_credit_per_line",
            ),
            models.UniqueConstraint(
                fields=["recharge_id"],
                condition=Q(source="recharge"),
                name="commission_one_credit_per_recharge",
            ),
            models.UniqueConstraint(
                fields=["reverses", "return_id"],
                condition=Q(source="return"),
                name="commission_one_reversal_per_return_line",
            ),
        ]
        indexes = [models.Index(fields=["store", "business_date"])]
