"""Follow-up tasks (回访): a call staff owe a member, and the log of each attempt.

A task belongs to a store (the member's joining store, or the store where the reason arose)
and may be assigned to a staff member; a task nobody holds waits in the queue of its store
and in the call center's chain-wide queue. Automatic tasks carry a ``dedupe_key`` (unique)
so a first purchase, a complaint or one lapse makes one task however often the trigger
runs. Attempts are append-only: a task's outcome history is its attempts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FollowupPolicy(models.Model):
    """When tasks are created automatically (one row; ``current()`` makes it)."""

    first_purchase_enabled = models.BooleanField(_("after a first purchase"), default=True)
    first_purchase_days = models.PositiveSmallIntegerField(
        _("days to call after a first purchase"), default=3
    )
    complaint_days = models.PositiveSmallIntegerField(
        _("days to call after a complaint"), default=1
    )
    lapse_enabled = models.BooleanField(_("after a lapse"), default=True)
    lapse_days = models.PositiveSmallIntegerField(
        _("days without a purchase that make a lapse"), default=90
    )
    lapse_task_days = models.PositiveSmallIntegerField(
        _("days to call after a lapse is found"), default=7
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("follow-up policy")

    @classmethod
    def current(cls) -> FollowupPolicy:
        row = cls.objects.order_by("pk").first()
        return row if row is not None else cls.objects.create()


class Followup(models.Model):
    class Reason(models.TextChoices):
        FIRST_PURCHASE = "first_purchase", _("First purchase")  # 首次消费
        COMPLAINT = "complaint", _("Complaint")  # 投诉
        LAPSE = "lapse", _("Lapsed member")  # 流失预警
        MANUAL = "manual", _("Manual")  # 手工

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("follow-up", "Open")  # 待回访
        OVERDUE = "overdue", _("Overdue")  # 已逾期
        DONE = "done", pgettext_lazy("follow-up", "Done")  # 已完成
        CANCELLED = "cancelled", pgettext_lazy("follow-up", "Cancelled")  # 已取消

    OPEN_STATUSES = (Status.OPEN, Status.OVERDUE)

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="followups")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followups",
        verbose_name=_("assignee"),
    )
    due_date = models.DateField(_("due date"), db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("note"), max_length=500, blank=True, default="")
    # What made it (a sale id, a feedback id…), for the reader; ids only.
    source_type = models.CharField(max_length=20, blank=True, default="")
    source_id = models.BigIntegerField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    last_outcome = models.CharField(max_length=20, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    overdue_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")  # 回访任务
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["store", "status", "due_date"]),
            models.Index(fields=["assignee", "status", "due_date"]),
            models.Index(fields=["member", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(attempts__gte=0), name="followups_attempts_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Attempt(models.Model):
    """One call (or visit) and its outcome; append-only."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")  # 已联系上
        NO_ANSWER = "no_answer", _("No answer")  # 无人接听
        CALL_BACK = "call_back", _("Call back later")  # 稍后再拨
        WRONG_NUMBER = "wrong_number", _("Wrong number")  # 号码错误
        REFUSED = "refused", _("Declined to talk")  # 拒绝回访

    # Outcomes that close the task; the others leave it open.
    CLOSING = frozenset({Outcome.REACHED, Outcome.WRONG_NUMBER, Outcome.REFUSED})

    followup = models.ForeignKey(Followup, on_delete=models.PROTECT, related_name="attempt_log")
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True, default="")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    next_due_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("follow-up attempt")  # 回访记录
        ordering = ["-id"]
