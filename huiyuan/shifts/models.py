"""Cashier shifts (交接班, S3): opened with a cash float, closed with counted takings.

What a shift *expected* is never stored while it is open: it is derived from what the
cashier recorded at the store during the shift (``huiyuan.shifts.takings``). At closing the
expected and counted amounts per payment method are written once, as the handover record.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Shift(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    terminal = models.ForeignKey(
        "stores.Terminal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cashier = models.ForeignKey("stores.Staff", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    float_fen = models.BigIntegerField(_("cash float"))
    opened_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Written once at closing: {method: fen}. Cash includes the float.
    expected = models.JSONField(default=dict, blank=True)
    counted = models.JSONField(default=dict, blank=True)
    # The breakdown behind ``expected``: {"sales": {method: fen}, "recharges": …}.
    breakdown = models.JSONField(default=dict, blank=True)
    cash_difference_fen = models.BigIntegerField(default=0)  # counted − expected cash
    note = models.CharField(_("note"), max_length=200, blank=True)
    # The shift that took over from this one (交接: the next cashier's shift).
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_shift"
    )

    class Meta:
        verbose_name = _("shift")  # 班次
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cashier", "store"],
                condition=Q(status="open"),
                name="shifts_one_open_shift_per_cashier_store",
            ),
            models.CheckConstraint(condition=Q(float_fen__gte=0), name="shifts_float_non_negative"),
        ]
        indexes = [models.Index(fields=["store", "opened_at"])]

    def __str__(self) -> str:
        return f"shift {self.pk} ({self.cashier_id}@{self.store_id})"
