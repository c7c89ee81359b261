"""Saved segments (An2), RFM settings and profiles, imported sales history, predictions (An3).

A ``Segment`` is a filter kept by name (``definition``, validated by
``huiyuan.segments.filters.definition_clean``) and evaluated each time it is used
(``huiyuan.segments.selectors.segment_member_ids``). A store-scoped author's segment keeps
its store (``store``): it never reaches beyond it, whoever uses it.

``MemberProfile`` is one row per member that bought anything: recency, frequency and
monetary value computed from completed sales net of returns (reversed sales excluded) and
from imported history (``HistorySale``), the RFM class under the chain's ``RfmSettings``,
habits (weekday, hour, category) and the BG/NBD + Gamma-Gamma predictions. It is rebuilt
by ``huiyuan.segments.services.profiles_refresh`` (console button, API, ``manage.py``
command, after each history import).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RfmClass(models.TextChoices):
    """The eight classes of the R/F/M high–low cube, as Chinese merchants name them."""

    IMPORTANT_VALUE = "important_value", _("Important value")  # 重要价值 R↑F↑M↑
    IMPORTANT_DEVELOP = "important_develop", _("Important to develop")  # 重要发展 R↑F↓M↑
    IMPORTANT_KEEP = "important_keep", _("Important to keep")  # 重要保持 R↓F↑M↑
    IMPORTANT_WINBACK = "important_winback", _("Important to win back")  # 重要挽留 R↓F↓M↑
    GENERAL_VALUE = "general_value", _("General value")  # 一般价值 R↑F↑M↓
    GENERAL_DEVELOP = "general_develop", _("General to develop")  # 一般发展 R↑F↓M↓
    GENERAL_KEEP = "general_keep", _("General to keep")  # 一般保持 R↓F↑M↓
    GENERAL_WINBACK = "general_winback", _("General to win back")  # 一般挽留 R↓F↓M↓


class RfmLabel(models.TextChoices):
    LOYAL = "loyal", _("Loyal")  # 忠诚客户
    BIG_SPENDER = "big_spender", _("Big spender")  # 高消费
    AT_RISK = "at_risk", _("At risk")  # 流失风险
    LOST = "lost", _("Lost")  # 已流失


class RfmSettings(models.Model):
    """The chain's RFM cut points (one row; ``rfm_settings_get`` creates it with defaults).

    R is high when the last purchase is at most ``recent_days`` ago; F is high with at least
    ``frequent_count`` purchases and M with at least ``valuable_fen`` net spend, both within
    the last ``window_days``. Labels: loyal (R and F high, at least ``loyal_count``
    purchases), big spender (at least ``big_spender_fen``), at risk (F high but not bought
    for ``at_risk_days``), lost (not bought for ``lost_days``).
    """

    window_days = models.PositiveIntegerField(_("window (days)"), default=365)
    recent_days = models.PositiveIntegerField(_("recent: bought within (days)"), default=90)
    frequent_count = models.PositiveIntegerField(_("frequent: purchases at least"), default=3)
    valuable_fen = models.BigIntegerField(_("valuable: net spend at least"), default=100000)
    loyal_count = models.PositiveIntegerField(_("loyal: purchases at least"), default=6)
    big_spender_fen = models.BigIntegerField(_("big spender: net spend at least"), default=500000)
    at_risk_days = models.PositiveIntegerField(_("at risk: no purchase for (days)"), default=120)
    lost_days = models.PositiveIntegerField(_("lost: no purchase for (days)"), default=365)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("RFM settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    window_days__gte=1,
                    recent_days__gte=1,
                    frequent_count__gte=1,
                    valuable_fen__gte=1,
                    loyal_count__gte=1,
                    big_spender_fen__gte=1,
                    at_risk_days__gte=1,
                    lost_days__gte=1,
                ),
                name="segments_rfm_settings_positive",
            ),
        ]


class Segment(models.Model):
    name = models.CharField(_("segment name"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    definition = models.JSONField(_("filter"), default=dict)
    # A store-scoped author's segment stays within that store; None: the whole chain.
    store = models.ForeignKey(
        "stores.Store", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("segment")  # 会员分群
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="segments_segment_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class HistorySale(models.Model):
    """One past purchase imported from a spreadsheet (not money: no ledger, no points).

    ``fingerprint`` makes a re-run of the same file idempotent: it hashes the member, the
    date, the amount, the items and which repetition of that same row in the file it is.
    """

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="history_sales"
    )
    store = models.ForeignKey(
        "stores.Store", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_on = models.DateField(_("date"))
    amount_fen = models.BigIntegerField(_("amount"))
    items = models.JSONField(_("items"), default=list, blank=True)  # [{"name", "category"}]
    fingerprint = models.CharField(max_length=64, unique=True)
    job = models.ForeignKey(
        "imports.ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("imported sale")  # 历史消费
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["member", "occurred_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gte=0), name="segments_history_amount_non_negative"
            ),
        ]


class MemberProfile(models.Model):
    """A member's purchase profile: RFM, habits, predictions (rebuilt, never edited)."""

    member = models.OneToOneField(
        "members.Member", primary_key=True, on_delete=models.CASCADE, related_name="profile"
    )
    first_on = models.DateField()
    last_on = models.DateField()
    purchases = models.PositiveIntegerField()  # all time
    spend_fen = models.BigIntegerField()  # all time, net of returns
    window_purchases = models.PositiveIntegerField()
    window_spend_fen = models.BigIntegerField()
    recency_days = models.PositiveIntegerField()
    r_high = models.BooleanField()
    f_high = models.BooleanField()
    m_high = models.BooleanField()
    rfm_class = models.CharField(max_length=20, choices=RfmClass.choices)
    loyal = models.BooleanField(default=False)
    big_spender = models.BooleanField(default=False)
    at_risk = models.BooleanField(default=False)
    lost = models.BooleanField(default=False)
    weekday = models.PositiveSmallIntegerField(null=True)  # ISO 1–7, the most frequent
    hour = models.PositiveSmallIntegerField(null=True)  # local hour 0–23, the most frequent
    category = models.CharField(max_length=40, blank=True, default="")
    # BG/NBD + Gamma-Gamma (None until a model was fitted on enough members).
    p_alive = models.FloatField(null=True)
    expected_purchases_90 = models.FloatField(null=True)
    clv_fen = models.BigIntegerField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("member profile")
        indexes = [
            models.Index(fields=["rfm_class"]),
            models.Index(fields=["last_on"]),
            models.Index(fields=["spend_fen"]),
        ]


class ModelFit(models.Model):
    """The last BG/NBD + Gamma-Gamma fit: parameters and what it was fitted on."""

    r = models.FloatField()
    alpha = models.FloatField()
    a = models.FloatField()
    b = models.FloatField()
    gg_p = models.FloatField(null=True)
    gg_q = models.FloatField(null=True)
    gg_v = models.FloatField(null=True)
    members = models.PositiveIntegerField()
    log_likelihood = models.FloatField()
    fitted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("prediction model fit")
        ordering = ["-fitted_at", "-id"]


class CrossSellPair(models.Model):
    """Two items (or categories) bought together: support, confidence and lift of A → B."""

    class Level(models.TextChoices):
        ITEM = "item", _("Item")
        CATEGORY = "category", _("Category")

    level = models.CharField(max_length=10, choices=Level.choices)
    antecedent = models.CharField(max_length=80)
    consequent = models.CharField(max_length=80)
    baskets = models.PositiveIntegerField()  # baskets holding both
    support = models.FloatField()
    confidence = models.FloatField()
    lift = models.FloatField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("cross-sell pair")
        ordering = ["level", "-lift", "-support"]
