"""Sales. Quick consumption (快速消费) is the first form: an amount, optionally a category."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sale(models.Model):
    class Status(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        REVERSED = "reversed", _("Reversed")

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
    points_earned = models.BigIntegerField(default=0)
    earn_explanation = models.JSONField(default=dict, blank=True)
    tier_code = models.CharField(max_length=30, blank=True)
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
