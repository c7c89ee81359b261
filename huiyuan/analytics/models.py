"""Daily roll-ups (An1, An4 at scale) and scheduled reports.

``DailyFigure`` holds one figure per business date (local, Asia/Shanghai), store, metric and
dimension (a payment method, a source channel, a staff id — or ""): a count and an amount
(fen, or points for the points metrics). The dashboards read these rows, never the sales.

``RollupSource`` records each source already counted ("sale:12", "ret:3", "op:77"…), with
its business date, so a redelivered event or a sweep adds nothing twice, and a rebuild of a
date range knows exactly what it replaces (docs/analytics.md).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyFigure(models.Model):
    day = models.DateField()
    store_id = models.BigIntegerField(default=0)  # 0: no store (a head-office movement)
    metric = models.CharField(max_length=24)
    dim = models.CharField(max_length=24, blank=True, default="")
    count = models.BigIntegerField(default=0)
    amount = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("daily figure")
        constraints = [
            models.UniqueConstraint(
                fields=["store_id", "metric", "day", "dim"], name="analytics_figure_unique"
            ),
        ]
        # The breakdown by store of one metric (new members per store).
        indexes = [models.Index(fields=["metric", "day"], name="analytics_figure_metric_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.store_id} {self.metric}/{self.dim}: {self.count} {self.amount}"


class RollupSource(models.Model):
    key = models.CharField(max_length=40, unique=True)
    day = models.DateField(db_index=True)

    class Meta:
        verbose_name = _("counted source")

    def __str__(self) -> str:
        return self.key


class MemberDay(models.Model):
    """One row per member, store and business date with at least one sale that was not
    reversed (``sales``: how many). Active members over a range are the distinct members of
    these rows — counted once however many days they bought on, never summed over days.
    The chain's count reads every store's rows (a member buying at two stores counts once)."""

    day = models.DateField()
    store_id = models.BigIntegerField()
    member_id = models.BigIntegerField()
    sales = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("member's day of purchase")
        constraints = [
            models.UniqueConstraint(
                fields=["store_id", "day", "member_id"], name="analytics_memberday_unique"
            ),
        ]
        indexes = [
            # The chain's distinct count over a range: an index-only scan.
            models.Index(fields=["day", "member_id"], name="analytics_memberday_day"),
            # A member's other days in a range (keeping ``ActiveCount`` exact).
            models.Index(fields=["member_id", "day"], name="analytics_memberday_member"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.store_id} {self.member_id}: {self.sales}"


class ActiveCount(models.Model):
    """The active members of one range at one scope (``chain`` or ``store:<id>``), counted
    once from ``MemberDay`` and then kept exact as purchases come and go: a member's first
    day of purchase in the range adds one, their last one removed takes one off. A rebuild
    drops the counts it touches; the daily job drops those a week old or reaching the last
    three days (counted again on the next read)."""

    scope = models.CharField(max_length=32)  # "store:" and a bigint id
    first = models.DateField()
    last = models.DateField(db_index=True)
    members = models.BigIntegerField(default=0)
    counted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("active member count")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "first", "last"], name="analytics_activecount_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.first}–{self.last}: {self.members}"


class MemberStat(models.Model):
    """One row per member with a sale: what RFM and the member profiles read instead of the
    sales (docs/analytics.md). Set from the member's sales each time one of their sales
    is made, reversed or returned (so a refresh is exact however often it runs):

    * ``first_day``/``last_day``, ``purchases``, ``net_fen`` and ``days``: the completed
      sales (not reversed, not wholly returned) — local dates, how many, their payable less
      what was returned (fen), on how many distinct local dates;
    * ``last_visit``: the last local date of a sale not reversed (active members);
    * ``window_purchases``/``window_net_fen``: the same completed sales made on or after
      ``window_from`` (RFM's window; ``member_stats_prepare`` moves it each day)."""

    member_id = models.BigIntegerField(primary_key=True)
    first_day = models.DateField(null=True)
    last_day = models.DateField(null=True)
    purchases = models.IntegerField(default=0)
    net_fen = models.BigIntegerField(default=0)
    days = models.IntegerField(default=0)
    last_visit = models.DateField(null=True)
    window_from = models.DateField(null=True)
    window_purchases = models.IntegerField(default=0)
    window_net_fen = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("member's purchase figures")

    def __str__(self) -> str:
        return f"{self.member_id}: {self.purchases} {self.net_fen} (last {self.last_day})"


class MemberStatState(models.Model):
    """One row: the window the ``MemberStat`` rows are counted from, and the highest sale id
    the sweep has looked at (every sale up to it is in the figures)."""

    window_from = models.DateField(null=True)
    sales_through = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("member figures state")


class ScheduledReport(models.Model):
    """A report e-mailed as a workbook on a schedule (daily, weekly on Mondays, monthly
    on the 1st), covering the period just ended."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily (yesterday)")
        WEEKLY = "weekly", _("Weekly (last week, on Mondays)")
        MONTHLY = "monthly", _("Monthly (last month, on the 1st)")

    name = models.CharField(_("name"), max_length=60)
    report = models.CharField(_("report"), max_length=30)
    # The stores it covers (None: every store — only a chain-wide creator may choose that).
    store_ids = models.JSONField(_("stores"), null=True, blank=True)
    recipients = models.JSONField(_("recipients"), default=list)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.DAILY
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        "stores.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    last_period = models.CharField(max_length=30, blank=True)  # the last period sent
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("scheduled report")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name
