"""Referrals (推荐有礼, R1): a member's referral code, the rewards a referrer earns when a
referee joins or first buys, and commission on the referee's paid purchases.

Every member's referral code is their member number (``Member.code``): stable, unique,
already printed on the card. The referee records the referrer at registration
(``Member.referrer``). The policy is one row (``ReferralPolicy.current()``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_LEVELS = 3  # never more: multi-level schemes beyond this are pyramid selling (传销)
DEFAULT_LEVELS = 2


class ReferralPolicy(models.Model):
    """The chain's referral terms (one row)."""

    join_points = models.PositiveIntegerField(_("points when a referee joins"), default=0)
    first_purchase_points = models.PositiveIntegerField(
        _("points on a referee's first purchase"), default=0
    )
    levels = models.PositiveSmallIntegerField(_("commission levels"), default=DEFAULT_LEVELS)
    level1_bp = models.PositiveIntegerField(_("level 1 rate (basis points)"), default=0)
    level2_bp = models.PositiveIntegerField(_("level 2 rate (basis points)"), default=0)
    level3_bp = models.PositiveIntegerField(_("level 3 rate (basis points)"), default=0)
    hold_days = models.PositiveSmallIntegerField(_("held for (days)"), default=7)
    join_coupon_template = models.ForeignKey(
        "coupons.CouponTemplate",
        verbose_name=_("coupon when a referee joins"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    first_purchase_coupon_template = models.ForeignKey(
        "coupons.CouponTemplate",
        verbose_name=_("coupon on a referee's first purchase"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("referral policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(levels__gte=0, levels__lte=MAX_LEVELS),
                name="referrals_levels_at_most_three",
            ),
            models.CheckConstraint(
                condition=Q(level1_bp__lte=10_000, level2_bp__lte=10_000, level3_bp__lte=10_000),
                name="referrals_rates_in_range",
            ),
        ]

    def __str__(self) -> str:
        return "referral policy"

    @classmethod
    def current(cls) -> ReferralPolicy:
        policy = cls.objects.order_by("pk").first()
        return policy if policy is not None else cls()

    def rates(self) -> list[int]:
        """The commission rate of each level in force (basis points), nearest first."""
        return [self.level1_bp, self.level2_bp, self.level3_bp][: self.levels]

    def reward_for(self, kind: str) -> tuple[int, int | None]:
        """The points and the coupon template (id) a referrer earns for ``kind``."""
        if kind == ReferralReward.Kind.JOIN:
            return self.join_points, self.join_coupon_template_id
        return self.first_purchase_points, self.first_purchase_coupon_template_id


class ReferralReward(models.Model):
    """What a referrer was given for one referee, once per referee and occasion: points
    (to the referrer's card) and/or a coupon. A coupon the template could not give (out of
    stock, over budget, the member's limit) is recorded as not given, with the reason."""

    class Kind(models.TextChoices):
        JOIN = "join", _("Referee joined")
        FIRST_PURCHASE = "first_purchase", _("Referee's first purchase")

    referrer = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    referee = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    points = models.PositiveIntegerField()
    card = models.ForeignKey(
        "cards.Card", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    operation_id = models.BigIntegerField(null=True, blank=True)
    coupon_template = models.ForeignKey(
        "coupons.CouponTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    coupon = models.ForeignKey(
        "coupons.Coupon", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    coupon_refusal = models.CharField(max_length=40, blank=True)  # the code, when not given
    coupon_refusal_reason = models.CharField(max_length=200, blank=True)
    sale_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("referral reward")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["referee", "kind"], name="referrals_reward_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.referee_id}"

    @property
    def coupon_not_given(self) -> bool:
        return self.coupon_template_id is not None and self.coupon_id is None


class ReferralPayout(models.Model):
    """Released commission paid out to the referrer: credited to the referrer's stored
    value as bonus (赠送金), from the paying store's bonus account, through the ledger.

    The commission rows it settles point at it (``ReferralCommission.payout``), so no row
    is ever paid twice; a reversal settled by a payout (negative) reduces what it paid."""

    beneficiary = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="referral_payouts"
    )
    card = models.ForeignKey("cards.Card", on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField()
    rows = models.PositiveIntegerField(default=0)  # commission rows settled
    store_id = models.BigIntegerField()  # the store whose bonus account paid it
    operation_id = models.BigIntegerField()
    paid_by = models.ForeignKey(
        "stores.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("referral commission payout")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="referrals_payout_positive"),
        ]

    def __str__(self) -> str:
        return f"payout {self.beneficiary_id} {self.amount_fen}"


class ReferralCommission(models.Model):
    """Commission to one upline member on one paid sale of a referee (or its reversal).

    Held until ``release_on`` (the return window); a return reverses it in proportion (a
    negative row that ``reverses`` the credit). Append-only.
    """

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        RELEASED = "released", _("Released")
        REVERSED = "reversed", _("Reversal")

    beneficiary = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="referral_commissions"
    )
    referee = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    sale_id = models.BigIntegerField(db_index=True)
    return_id = models.BigIntegerField(null=True, blank=True)
    store_id = models.BigIntegerField(null=True, blank=True)
    base_fen = models.BigIntegerField()  # the paid amount it applies to (signed)
    rate_bp = models.PositiveIntegerField()
    amount_fen = models.BigIntegerField()  # signed: reversals are negative
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    release_on = models.DateField(null=True, blank=True)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    created_at = models.DateTimeField(db_index=True)
    released_at = models.DateTimeField(null=True, blank=True)
    payout = models.ForeignKey(
        ReferralPayout,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commissions",
    )

    class Meta:
        verbose_name = _("referral commission")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "release_on"], name="referrals_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["sale_id", "level"],
                condition=Q(reverses__isnull=True),
                name="referrals_one_credit_per_sale_level",
            ),
            models.UniqueConstraint(
                fields=["reverses", "return_id"],
                condition=Q(reverses__isnull=False),
                name="referrals_one_reversal_per_return",
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=MAX_LEVELS), name="referrals_level_range"
            ),
        ]

    def __str__(self) -> str:
        return f"L{self.level} {self.sale_id} {self.amount_fen}"
