"""Coupons (K1–K3): templates, the coupons issued from them, batch issues, group-buy
vouchers redeemed at the counter. See ``docs/coupons.md``."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class CouponTemplate(models.Model):
    """What a coupon is worth and when it may be used; the scarce counters live here and
    change only under this row's lock (``services.issue``)."""

    class Kind(models.TextChoices):
        CASH = "cash", _("Cash voucher")
        THRESHOLD = "threshold", _("Spend-and-save")
        PERCENT = "percent", _("Percentage discount")
        GIFT = "gift", _("Gift exchange")

    class Validity(models.TextChoices):
        FIXED = "fixed", _("Fixed dates")
        RELATIVE = "relative", _("Days from issue")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        STOPPED = "stopped", _("Stopped")

    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.PositiveIntegerField(_("value"), default=0)  # fen off, or paid permille
    min_spend_fen = models.PositiveBigIntegerField(_("minimum spend"), default=0)
    cap_fen = models.PositiveBigIntegerField(_("discount cap"), default=0)
    gift_product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    validity = models.CharField(max_length=10, choices=Validity.choices, default=Validity.FIXED)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(_("valid days"), null=True, blank=True)
    store_ids = models.JSONField(default=list, blank=True)
    category_codes = models.JSONField(default=list, blank=True)
    tier_codes = models.JSONField(default=list, blank=True)
    weekdays = models.JSONField(default=list, blank=True)
    per_member_limit = models.PositiveIntegerField(_("per-member limit"), default=1)  # 0: none
    stock = models.PositiveIntegerField(_("total stock"), null=True, blank=True)  # None: none
    budget_fen = models.PositiveBigIntegerField(_("budget"), null=True, blank=True)
    stack_group = models.CharField(_("stacking group"), max_length=20, blank=True)
    claimable = models.BooleanField(_("members may claim"), default=False)
    issue_on = models.JSONField(default=list, blank=True)  # event names
    min_recharge_fen = models.PositiveBigIntegerField(default=0)  # for wallet.recharged
    restore_on_return = models.BooleanField(_("restore on full return"), default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    version = models.PositiveIntegerField(default=1)
    issued_count = models.PositiveIntegerField(default=0)
    budget_used_fen = models.PositiveBigIntegerField(default=0)  # liability reserved at issue
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def liability_fen(self) -> int:
        """The most one coupon can take off: what the budget reserves when it is issued."""
        if self.kind in (self.Kind.CASH, self.Kind.THRESHOLD):
            return self.value
        if self.kind == self.Kind.PERCENT:
            return self.cap_fen
        return self.gift_value_fen

    @property
    def gift_value_fen(self) -> int:
        return self.value  # a gift template keeps the product's price at creation in value

    def validity_for(self, issued_on: dt.date) -> tuple[dt.date | None, dt.date | None]:
        if self.validity == self.Validity.RELATIVE:
            return issued_on, issued_on + dt.timedelta(days=max((self.valid_days or 1) - 1, 0))
        return self.valid_from, self.valid_to


class Coupon(models.Model):
    class Status(models.TextChoices):
        UNUSED = "unused", _("Unused")
        USED = "used", _("Used")
        VOID = "void", _("Void")

    class Channel(models.TextChoices):
        MANUAL = "manual", _("Issued by hand")
        BATCH = "batch", _("Batch issue")
        EVENT = "event", _("On an event")
        CLAIM = "claim", _("Claimed")
        REFERRAL = "referral", _("Referral reward")

    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="coupons")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("coupon code"), max_length=20, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNUSED)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    source = models.CharField(max_length=60, blank=True)  # batch:<id>, event:<id>, referral:…
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    issued_at = models.DateTimeField(db_index=True)
    issued_by = models.ForeignKey(
        "stores.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    sale_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    used_store_id = models.BigIntegerField(null=True, blank=True)
    discount_fen = models.BigIntegerField(default=0)
    sale_payable_fen = models.BigIntegerField(default=0)  # the sale it drove
    restored_at = models.DateTimeField(null=True, blank=True)
    times_restored = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["member", "status"]),
            models.Index(fields=["template", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "member", "source"],
                condition=~models.Q(source=""),
                name="coupons_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return self.code


class IssueBatch(models.Model):
    """A batch issue to a filter of members, run by the worker in short transactions."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="batches")
    filter = models.JSONField(default=dict)
    key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    last_member_id = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "stores.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)


class GroupBuyRedemption(models.Model):
    """A third-party group-buy voucher (美团/抖音团购券) verified and redeemed at the counter."""

    provider = models.CharField(max_length=20)
    code = models.CharField(max_length=40)
    deal_title = models.CharField(max_length=100)
    amount_fen = models.BigIntegerField()
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    operator = models.ForeignKey(
        "stores.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    provider_ref = models.CharField(max_length=80)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="coupons_groupbuy_once")
        ]
