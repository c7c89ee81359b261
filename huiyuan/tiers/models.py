"""Tiers (T1, T2): thresholds, benefits, each member's current tier and its history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.Model):
    class Basis(models.TextChoices):
        POINTS = "points", _("Points earned in the window")
        GROWTH = "growth", _("Growth value in the window")
        SPEND = "spend", _("Spend in the window")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30)
    level = models.PositiveSmallIntegerField(_("level"), unique=True)
    basis = models.CharField(
        _("threshold on"), max_length=10, choices=Basis.choices, default=Basis.SPEND
    )
    threshold = models.BigIntegerField(_("threshold"), default=0)
    retention = models.BigIntegerField(_("retention bar"), default=0)
    window_days = models.PositiveIntegerField(_("rolling window (days)"), default=365)
    discount_permille = models.PositiveSmallIntegerField(
        _("price paid (‰): 950 = 95折"), default=1000
    )
    points_multiplier_pct = models.PositiveSmallIntegerField(_("points multiplier %"), default=100)
    # Per-category price paid in ‰ ({"drinks": 880}): the most specific category on a line's
    # path wins over ``discount_permille`` (docs/pricing.md).
    category_discounts = models.JSONField(_("discount by category"), default=dict, blank=True)
    privileges = models.TextField(_("privileges"), blank=True)
    # The terms by date (``tiers.versions``): [{"effective_from": "2026-12-01" | null,
    # "terms": {...}, "recorded_at": iso, "recorded_by": staff id}], oldest first. Empty: the
    # columns above hold the only terms there ever were. Once a tier is edited, the version
    # in force on a business date decides, and the columns mirror the latest version in force
    # when it was last edited.
    versions = models.JSONField(_("versions"), default=list, blank=True)

    class Meta:
        verbose_name = _("tier")  # 等级
        ordering = ["level"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discount_permille__gte=1, discount_permille__lte=1000),
                name="tiers_discount_in_range",
            )
        ]

    def __str__(self) -> str:
        return self.name


class MemberTier(models.Model):
    """A member's current tier; ``protected_until`` keeps a manual tier from downgrade."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.PROTECT, related_name="tier_state"
    )
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField()
    protected_until = models.DateField(null=True, blank=True)


class TierChange(models.Model):
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="tier_changes"
    )
    from_tier = models.ForeignKey(Tier, null=True, on_delete=models.PROTECT, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12)  # upgrade, downgrade, manual, initial
    reason = models.CharField(max_length=200, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class TierPolicy(models.Model):
    """One row (pk=1): when tiers are re-evaluated and when inactive members end."""

    class Period(models.TextChoices):
        MONTH = "month", _("Every month")
        QUARTER = "quarter", _("Every quarter")
        YEAR = "year", _("Every year")

    evaluation_period = models.CharField(
        _("evaluate tiers"), max_length=10, choices=Period.choices, default=Period.QUARTER
    )
    inactive_termination_days = models.PositiveIntegerField(
        _("terminate members inactive for days"), null=True, blank=True, default=730
    )
    # The card type preselected when a card is issued (开卡默认卡类型); null: none preselected.
    default_card_type = models.ForeignKey(
        "cards.CardType",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("default card type at issue"),
    )

    class Meta:
        verbose_name = _("tier policy")

    def __str__(self) -> str:
        return "tier policy"

    @classmethod
    def current(cls) -> TierPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def period_ends_before(self, month: int) -> bool:
        """Whether a period ended just before the first day of ``month`` (1–12)."""
        if self.evaluation_period == self.Period.MONTH:
            return True
        if self.evaluation_period == self.Period.QUARTER:
            return month in (1, 4, 7, 10)
        return month == 1
