"""Points (P1–P4): the chain's policy and versioned earn rules."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PointsPolicy(models.Model):
    """One row (pk=1): how points are valued, when they expire, how late 补积分 may come."""

    class Expiry(models.TextChoices):
        NEVER = "never", _("Never")
        DAYS = "days", _("After a number of days")
        MONTH_END = "month_end", _("At the end of the month after N days")
        QUARTER_END = "quarter_end", _("At the end of the quarter after N days")
        YEAR_END = "year_end", _("At the end of the year after N days")

    points_per_yuan = models.PositiveIntegerField(_("points worth ¥1 when offsetting"), default=100)
    max_offset_percent = models.PositiveSmallIntegerField(
        _("at most this % of a bill paid by points"), default=50
    )
    expiry = models.CharField(
        _("expiry"), max_length=12, choices=Expiry.choices, default=Expiry.YEAR_END
    )
    expiry_days = models.PositiveIntegerField(_("expiry days"), default=365)
    supplement_days = models.PositiveIntegerField(
        _("supplementary points allowed within days"), default=7
    )
    # P1: points earned on a sale are pending for this many days (the return window) before
    # they can be spent; 0: spendable at once.
    pending_days = models.PositiveIntegerField(_("earned points pending for days"), default=0)

    class Meta:
        verbose_name = _("points policy")

    def __str__(self) -> str:
        return "points policy"

    @classmethod
    def current(cls) -> PointsPolicy:
        policy, _created = cls.objects.get_or_create(pk=cls.current_pk())
        return policy

    @staticmethod
    def current_pk() -> int:
        """The chain's one policy row."""
        return 1


class EarnRule(models.Model):
    """A version of an earn rule. Publishing a change creates a new version; sales keep a
    reference to the version that explained their points."""

    class Rounding(models.TextChoices):
        FLOOR = "floor", _("Drop the part below a full unit (不足金额部分不积分)")
        HALF_UP = "half_up", _("Round half up")

    code = models.SlugField(_("rule code"), max_length=40)
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(_("name"), max_length=60)
    priority = models.IntegerField(_("priority"), default=100)
    effective_from = models.DateTimeField(_("effective from"))
    effective_to = models.DateTimeField(_("effective until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    unit_fen = models.PositiveIntegerField(_("per amount (fen)"), default=100)
    points_per_unit = models.PositiveIntegerField(_("points per amount"), default=1)
    rounding = models.CharField(max_length=10, choices=Rounding.choices, default=Rounding.FLOOR)
    store_ids = models.JSONField(_("only at stores"), default=list, blank=True)
    tier_codes = models.JSONField(_("only for tiers"), default=list, blank=True)
    categories = models.JSONField(_("only for categories"), default=list, blank=True)
    excluded_categories = models.JSONField(_("excluded categories"), default=list, blank=True)
    birthday_multiplier_pct = models.PositiveIntegerField(_("birthday multiplier %"), default=100)
    # [{"date": "2026-11-11", "multiplier_pct": 200}] or weekdays [{"weekday": 3, ...}]
    special_days = models.JSONField(_("special days"), default=list, blank=True)
    cap_per_sale = models.PositiveIntegerField(_("cap per sale"), null=True, blank=True)
    cap_per_day = models.PositiveIntegerField(_("cap per member and day"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("earn rule")  # 积分规则
        ordering = ["priority", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="points_rule_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
