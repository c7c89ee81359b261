"""Member activities (会员活动, A1/A2) and points tasks (积分任务, P2).

An ``Activity`` is one of four kinds: a sign-up activity (报名活动: seats, a waiting list,
an optional fee paid from the stored value, attendance check-in), a payment activity
(消费满送: spend X in one sale, get points or a coupon, within a budget), a claim activity
(领券活动: a member claims a coupon within the template's stock) or a care activity
(关怀活动: birthday — solar or lunar — or a holiday: once per member and occasion).

Seats are decided on the locked activity row only: ``seats_taken`` is a cached count changed
in the same transaction as the ``Signup`` row that takes or frees the seat, with
``CHECK (seats_taken <= capacity)`` as the last guard. A reward (``RewardGrant``) is given
at most once per activity, member and occasion (a unique key), and the activity's budget
(``budget_used``) is decided on the same locked row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Activity(models.Model):
    class Kind(models.TextChoices):
        SIGNUP = "signup", _("Sign-up activity")  # 报名活动
        PAYMENT = "payment", _("Spend-and-get activity")  # 消费满送
        CLAIM = "claim", _("Coupon claim activity")  # 领券活动
        CARE = "care", _("Care activity")  # 关怀活动

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("activity", "Draft")  # 草稿
        PUBLISHED = "published", pgettext_lazy("activity", "Published")  # 已发布
        ENDED = "ended", pgettext_lazy("activity", "Ended")  # 已结束
        CANCELLED = "cancelled", pgettext_lazy("activity", "Cancelled")  # 已取消

    class Refund(models.TextChoices):
        FULL = "full", _("Full refund on any cancellation before the start")  # 开始前全额退
        HOURS_BEFORE = "hours_before", _("Full refund up to N hours before the start")
        NONE = "none", _("No refund once seated")  # 不退

    class Reward(models.TextChoices):
        NONE = "", _("No reward")
        POINTS = "points", _("Points")
        COUPON = "coupon", _("Coupon")

    class Occasion(models.TextChoices):
        NONE = "", _("None")
        BIRTHDAY = "birthday", _("Birthday")  # 生日 (solar or lunar, as the member keeps it)
        HOLIDAY = "holiday", _("Holiday")  # 节日

    code = models.SlugField(_("activity code"), max_length=40, unique=True)
    name = models.CharField(_("activity name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    description = models.CharField(_("description"), max_length=1000, blank=True, default="")
    location = models.CharField(_("location"), max_length=200, blank=True, default="")
    store_ids = models.JSONField(_("only at stores"), default=list, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # Sign-up activities.
    capacity = models.PositiveIntegerField(_("seats"), default=0)
    seats_taken = models.PositiveIntegerField(default=0)
    fee_fen = models.BigIntegerField(_("fee (fen)"), default=0)
    refund_rule = models.CharField(
        _("refund rule"), max_length=14, choices=Refund.choices, default=Refund.FULL
    )
    refund_hours = models.PositiveIntegerField(_("refund up to hours before the start"), default=0)
    # Payment, claim and care activities: what is given.
    threshold_fen = models.BigIntegerField(_("spend at least (fen)"), default=0)
    reward_kind = models.CharField(
        _("reward"), max_length=10, choices=Reward.choices, blank=True, default=""
    )
    reward_points = models.PositiveIntegerField(_("reward points"), default=0)
    coupon_template_id = models.BigIntegerField(_("coupon template"), null=True, blank=True)
    budget = models.PositiveIntegerField(_("budget (rewards)"), null=True, blank=True)
    budget_used = models.PositiveIntegerField(default=0)
    occasion = models.CharField(
        _("occasion"), max_length=10, choices=Occasion.choices, blank=True, default=""
    )
    holiday_date = models.DateField(_("holiday date"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("activity")  # 会员活动
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="activities_seats_within_capacity"
            ),
            models.CheckConstraint(condition=Q(fee_fen__gte=0), name="activities_fee_non_negative"),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget_used__lte=F("budget")),
                name="activities_budget_never_exceeded",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="activities_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)


class Signup(models.Model):
    """A member's sign-up (报名): seated, on the waiting list, attended or cancelled."""

    class Status(models.TextChoices):
        SEATED = "seated", _("Seated")  # 已报名
        WAITLISTED = "waitlisted", _("On the waiting list")  # 候补
        ATTENDED = "attended", _("Attended")  # 已签到
        CANCELLED = "cancelled", pgettext_lazy("signup", "Cancelled")  # 已取消
        NOT_SEATED = "not_seated", _("No seat freed")  # 候补未成功

    LIVE = (Status.SEATED, Status.WAITLISTED, Status.ATTENDED)

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="signups")
    member_id = models.BigIntegerField()
    card_id = models.BigIntegerField(null=True, blank=True)
    store_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    fee_fen = models.BigIntegerField(default=0)
    fee_operation_id = models.BigIntegerField(null=True, blank=True)
    refund_fen = models.BigIntegerField(default=0)
    refund_operation_id = models.BigIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=10, default="counter")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    seated_at = models.DateTimeField(null=True, blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("activity sign-up")
        ordering = ["id"]
        indexes = [models.Index(fields=["activity", "status", "id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member_id"],
                condition=Q(status__in=["seated", "waitlisted", "attended"]),
                name="activities_one_live_signup_per_member",
            ),
            models.CheckConstraint(
                condition=Q(refund_fen__gte=0) & Q(refund_fen__lte=F("fee_fen")),
                name="activities_refund_within_fee",
            ),
        ]


class Notice(models.Model):
    """A change announced to an activity's participants (变更通知), with who it went to."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="notices")
    version = models.PositiveIntegerField()
    message = models.CharField(max_length=500)
    changes = models.JSONField(default=dict)
    member_ids = models.JSONField(default=list)
    channel = models.CharField(max_length=20, default="recorded")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("activity notice")
        ordering = ["-id"]


class RewardGrant(models.Model):
    """A reward given by an activity or a points task, once per member and occasion.

    ``occasion`` is the unique key's last part: ``sale:<id>`` for a payment activity,
    ``claim`` for a claim, ``birthday:2026`` or ``holiday:2026-10-01`` for care, the task
    code for a points task (``activity`` is then empty).
    """

    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.PROTECT, related_name="grants"
    )
    task = models.ForeignKey(
        "PointsTask", null=True, blank=True, on_delete=models.PROTECT, related_name="grants"
    )
    member_id = models.BigIntegerField()
    card_id = models.BigIntegerField(null=True, blank=True)
    occasion = models.CharField(max_length=60)
    points = models.PositiveIntegerField(default=0)
    coupon_id = models.BigIntegerField(null=True, blank=True)
    cost_fen = models.BigIntegerField(default=0)
    sale_id = models.BigIntegerField(null=True, blank=True)
    operation_id = models.BigIntegerField(null=True, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reverse_operation_id = models.BigIntegerField(null=True, blank=True)
    store_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("activity reward")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member_id", "occasion"],
                condition=Q(activity__isnull=False),
                name="activities_reward_once_per_occasion",
            ),
            models.UniqueConstraint(
                fields=["task", "member_id"],
                condition=Q(task__isnull=False),
                name="activities_task_once_per_member",
            ),
        ]


class PointsTask(models.Model):
    """A points task (积分任务): points for doing something once."""

    class Code(models.TextChoices):
        REGISTER = "register", _("Register as a member")  # 注册
        PROFILE = "profile", _("Complete the profile")  # 完善资料
        REVIEW = "review", _("Write a review")  # 评价
        REFERRAL = "referral", _("Refer a friend")  # 推荐好友

    code = models.CharField(max_length=20, choices=Code.choices, unique=True)
    points = models.PositiveIntegerField(_("points"), default=0)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("points task")
        ordering = ["code"]


class GrantBatch(models.Model):
    """Points given by hand to a group (定向发放), applied as a background job."""

    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("grant batch", "Running")
        DONE = "done", pgettext_lazy("grant batch", "Done")

    reason = models.CharField(_("reason"), max_length=200)
    points = models.PositiveIntegerField(_("points"))
    segment_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(default=0)
    given = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    store_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("points grant batch")
        ordering = ["-id"]

    @property
    def percent(self) -> int:
        done = self.given + self.skipped
        return 100 if not self.total else done * 100 // self.total


class GrantLine(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        GIVEN = "given", _("Given")
        SKIPPED = "skipped", _("Skipped")

    batch = models.ForeignKey(GrantBatch, on_delete=models.PROTECT, related_name="lines")
    member_id = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason_code = models.CharField(max_length=40, blank=True, default="")
    operation_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "member_id"], name="activities_grant_once"),
        ]
        indexes = [models.Index(fields=["batch", "status", "id"])]


class PointsDay(models.Model):
    """A double-points day (积分翻倍日): on these dates or weekdays, at these stores, the
    points a sale earns are multiplied (the earn engine applies it, with its reason)."""

    name = models.CharField(_("name"), max_length=60)
    multiplier_pct = models.PositiveIntegerField(_("multiplier %"), default=200)
    dates = models.JSONField(_("dates"), default=list, blank=True)  # ["2026-12-12", …]
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True)  # ISO 1–7
    store_ids = models.JSONField(_("only at stores"), default=list, blank=True)
    valid_from = models.DateField(_("from"), null=True, blank=True)
    valid_to = models.DateField(_("until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("double-points day")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(multiplier_pct__gte=100) & Q(multiplier_pct__lte=1000),
                name="activities_points_day_multiplier_range",
            ),
        ]
