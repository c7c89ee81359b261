"""Daily check-in (签到): once per member and business date, points by streak."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CheckinPolicy(models.Model):
    """The chain's check-in settings: one row (pk 1).

    ``rewards`` is a list of ``[day, points]`` by day: a streak's day *d* earns the points
    of the last entry whose day is at most *d* ("from day N on"). With ``cycle_days`` set,
    the streak counts round: day ``cycle_days + 1`` is day 1 of the next round.
    """

    enabled = models.BooleanField(_("check-in on"), default=True)
    rewards = models.JSONField(default=list)
    cycle_days = models.PositiveIntegerField(_("cycle (days)"), null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("check-in settings")

    DEFAULT_REWARDS = [[1, 5], [7, 30]]
    DEFAULT_CYCLE = 7

    @classmethod
    def current(cls) -> CheckinPolicy:
        policy = cls.objects.filter(pk=1).first()
        if policy is None:
            return cls(pk=1, rewards=cls.DEFAULT_REWARDS, cycle_days=cls.DEFAULT_CYCLE)
        return policy


class Checkin(models.Model):
    member_id = models.BigIntegerField()
    card_id = models.BigIntegerField()
    business_date = models.DateField()
    streak = models.PositiveIntegerField()
    points = models.PositiveIntegerField()
    operation_id = models.BigIntegerField(null=True, blank=True)
    store_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("check-in")
        ordering = ["-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member_id", "business_date"], name="checkin_once_per_member_day"
            ),
            models.CheckConstraint(condition=Q(streak__gte=1), name="checkin_streak_positive"),
        ]
