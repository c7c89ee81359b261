"""Questionnaires (问卷) and feedback (意见与投诉).

A survey is built as a draft (questions in order), published (then its questions are frozen)
and closed. It reaches members through distributions (to a saved segment or to everyone):
each invited member gets a link carrying a signed token naming the survey and the member,
so one member answers once (``Response`` is unique per survey and member). Answers are
stored one row per question.

Feedback is filed by a member (portal) or by staff for a member (console); it has a status,
an owner and a thread of replies. A complaint also makes a follow-up task.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")  # 草稿
        PUBLISHED = "published", _("Published")  # 进行中
        CLOSED = "closed", pgettext_lazy("survey", "Closed")  # 已结束

    title = models.CharField(_("title"), max_length=100)
    description = models.CharField(_("introduction"), max_length=500, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    responses_count = models.PositiveIntegerField(default=0)
    invited_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("survey")  # 问卷
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")  # 单选
        MULTIPLE = "multiple", _("Multiple choice")  # 多选
        RATING = "rating", _("Rating 1–5")  # 评分
        TEXT = "text", pgettext_lazy("question kind", "Text")  # 填空

    CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE)

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    choices = models.JSONField(_("options"), default=list, blank=True)

    class Meta:
        verbose_name = _("survey question")
        ordering = ["survey", "position", "id"]

    def __str__(self) -> str:
        return self.text


class Distribution(models.Model):
    """One sending of a survey's link to a segment or to everyone."""

    class Target(models.TextChoices):
        EVERYONE = "everyone", _("Every active member")  # 全部会员
        SEGMENT = "segment", _("A saved segment")  # 会员分群

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="distributions")
    target = models.CharField(max_length=10, choices=Target.choices)
    segment_id = models.BigIntegerField(null=True, blank=True)
    store_id = models.BigIntegerField(null=True, blank=True)  # the sender's scope, if one store
    sms = models.BooleanField(default=False)
    invited = models.PositiveIntegerField(default=0)
    sms_queued = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("survey distribution")
        ordering = ["-id"]


class Invitation(models.Model):
    """A member invited to a survey (once, whatever the number of distributions)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    distribution = models.ForeignKey(
        Distribution, on_delete=models.PROTECT, related_name="invitations"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("survey invitation")
        constraints = [
            models.UniqueConstraint(fields=["survey", "member"], name="surveys_invite_once")
        ]


class Response(models.Model):
    class Channel(models.TextChoices):
        PORTAL = "portal", _("Member portal")
        LINK = "link", _("Survey link")

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    store_id = models.BigIntegerField(null=True, blank=True)  # the member's joining store
    channel = models.CharField(max_length=10, choices=Channel.choices)
    submitted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("survey response")  # 答卷
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "member"], name="surveys_answer_once")
        ]


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    choices = models.JSONField(default=list, blank=True)  # option indexes (single, multiple)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.CharField(max_length=1000, blank=True, default="")

    class Meta:
        verbose_name = _("survey answer")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="surveys_answer_per_q"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="surveys_rating_1_5",
            ),
        ]


class Feedback(models.Model):
    class Category(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint")  # 投诉
        SUGGESTION = "suggestion", _("Suggestion")  # 建议
        PRAISE = "praise", _("Praise")  # 表扬
        QUESTION = "question", _("Question")  # 咨询

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("feedback", "Open")  # 待处理
        IN_PROGRESS = "in_progress", _("In progress")  # 处理中
        RESOLVED = "resolved", _("Resolved")  # 已解决

    class Source(models.TextChoices):
        PORTAL = "portal", _("Member portal")
        STAFF = "staff", pgettext_lazy("feedback source", "Staff")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    text = models.CharField(_("content"), max_length=2000)
    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store")
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    followup_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("feedback")  # 意见反馈
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["store", "status", "id"]),
            models.Index(fields=["member", "id"]),
        ]


class Reply(models.Model):
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="replies")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_member = models.BooleanField(default=False)
    text = models.CharField(max_length=2000)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("feedback reply")
        ordering = ["id"]
