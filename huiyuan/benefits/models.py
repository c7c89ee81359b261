"""Paid benefit cards (付费会员 / 权益卡).

A **plan** (``BenefitPlan``) is the offer, sold through one catalog product (monthly,
quarterly, yearly or lifetime), with its privileges as data: an extra discount by category,
a points multiplier, member-only prices, free uses per period (a count-card plan of the
packages app, opened with the card and used through ``package_use``), a priority booking
text. Selling the product opens a **member benefit** (``MemberBenefit``) holding a copy of
the plan's privileges (a later edit never changes what was sold). A member holds at most
one active benefit card: selling the same plan again renews it, another plan is an upgrade.
Renewals, upgrades and refunds are recorded as ``BenefitChange`` rows; the reminder job
writes ``BenefitReminder`` rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Term(models.TextChoices):
    MONTH = "month", _("Monthly")  # 月卡
    QUARTER = "quarter", _("Quarterly")  # 季卡
    YEAR = "year", _("Yearly")  # 年卡
    LIFETIME = "lifetime", _("Lifetime")  # 终身卡


TERM_MONTHS: dict[str, int | None] = {
    Term.MONTH: 1,
    Term.QUARTER: 3,
    Term.YEAR: 12,
    Term.LIFETIME: None,
}


class BenefitPlan(models.Model):
    """The offer sold through a catalog product (one plan per product)."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    term = models.CharField(_("term"), max_length=10, choices=Term.choices)
    rank = models.PositiveSmallIntegerField(_("rank"), default=1)  # upgrades go up
    paid_permille = models.PositiveIntegerField(_("extra discount (paid ‰)"), default=1000)
    category_discounts = models.JSONField(_("extra discount by category"), default=dict)
    points_multiplier_pct = models.PositiveIntegerField(_("points multiplier (%)"), default=100)
    member_prices = models.JSONField(_("member-only prices"), default=dict)  # product id → fen
    free_plan = models.ForeignKey(
        "packages.PackagePlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("free uses"),
    )
    priority_text = models.CharField(_("priority booking"), max_length=200, blank=True)
    refund_fee_bp = models.PositiveIntegerField(_("refund fee (basis points)"), default=0)
    active = models.BooleanField(_("on sale"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("benefit plan")  # 权益卡方案
        ordering = ["rank", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(paid_permille__lte=1000), name="benefits_plan_permille_range"
            ),
            models.CheckConstraint(
                condition=Q(refund_fee_bp__lte=10_000), name="benefits_plan_fee_bp_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MemberBenefit(models.Model):
    """One benefit card held by a member, with the privileges as sold."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        UPGRADED = "upgraded", _("Upgraded")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(_("card code"), max_length=20, unique=True)
    plan = models.ForeignKey(BenefitPlan, on_delete=models.PROTECT, related_name="benefits")
    name = models.CharField(_("name"), max_length=60)
    term = models.CharField(_("term"), max_length=10, choices=Term.choices)
    rank = models.PositiveSmallIntegerField(default=1)
    terms = models.JSONField(default=dict)  # the privileges as sold (see ``rules.terms_of``)
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="benefit_cards"
    )
    card = models.ForeignKey(
        "cards.Card", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    sale = models.ForeignKey(
        "checkout.Sale", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sale_line = models.ForeignKey(
        "checkout.SaleLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    package = models.ForeignKey(
        "packages.MemberPackage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_fen = models.BigIntegerField(_("paid"), default=0)  # sale + renewals + credit
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)  # None: lifetime
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    upgraded_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="upgraded_to"
    )
    created_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("benefit card")  # 会员权益卡
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["member", "status"], name="benefits_member_status"),
            models.Index(fields=["status", "valid_until"], name="benefits_status_until"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(paid_fen__gte=0), name="benefits_paid_not_negative"),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="active"),
                name="benefits_one_active_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.code}"


class BenefitChange(models.Model):
    """A renewal, an upgrade (the old card's unused part credited) or a refund."""

    class Kind(models.TextChoices):
        RENEW = "renew", _("Renewal")
        UPGRADE = "upgrade", _("Upgrade")
        REFUND = "refund", _("Refund")

    benefit = models.ForeignKey(MemberBenefit, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    target = models.ForeignKey(
        MemberBenefit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sale = models.ForeignKey(
        "checkout.Sale", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(max_length=20, blank=True, default="")
    until_before = models.DateField(null=True, blank=True)
    until_after = models.DateField(null=True, blank=True)
    paid_fen = models.BigIntegerField(default=0)  # the card's value before the change
    total_days = models.PositiveIntegerField(default=0)
    unused_days = models.PositiveIntegerField(default=0)
    gross_fen = models.BigIntegerField(default=0)  # value × unused ÷ total, rounded down
    fee_fen = models.BigIntegerField(default=0)
    amount_fen = models.BigIntegerField(default=0)  # refunded, credited, or paid (renewal)
    due_fen = models.BigIntegerField(default=0)  # upgrade: the new plan's price − credit
    reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("benefit card change")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gte=0, fee_fen__gte=0, gross_fen__gte=0, due_fen__gte=0),
                name="benefits_change_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.benefit_id}"


class BenefitReminder(models.Model):
    """One renewal reminder per card and end date (the daily job writes it once)."""

    benefit = models.ForeignKey(MemberBenefit, on_delete=models.PROTECT, related_name="reminders")
    valid_until = models.DateField()
    days_left = models.IntegerField()
    sent = models.BooleanField(default=False)  # handed to huiyuan.care.sending
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["benefit", "valid_until"], name="benefits_one_reminder_per_end"
            ),
        ]

    def __str__(self) -> str:
        return f"reminder {self.benefit_id} {self.valid_until}"
