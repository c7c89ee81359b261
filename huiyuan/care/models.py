"""Messages to members (会员关怀与消息): templates, the delivery log, the development outbox,
the in-app inbox, opt-outs, direct-mail campaigns and automatic care rules.

Every message is a ``Delivery`` row, written first (queued) and sent by the worker through
the channel configured in ``HUIYUAN_CARE_CHANNELS``; the row keeps each attempt's outcome
and the provider's answer. Addresses (mobile, e-mail) are stored encrypted with a keyed
hash for look-ups, like the member archive.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ChannelKind(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat template message")
    INBOX = "inbox", _("In-app inbox")
    WEBHOOK = "webhook", _("Webhook")


class MessageKind(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Transactional")  # 通知类: codes, balance changes
    MARKETING = "marketing", _("Marketing")  # 营销类: consent, quiet hours, caps


class MessageTemplate(models.Model):
    """A merchant's wording of a message for one channel (overrides the built-in one)."""

    code = models.SlugField(_("template code"), max_length=40)
    name = models.CharField(_("template name"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=ChannelKind.choices)
    kind = models.CharField(_("kind"), max_length=15, choices=MessageKind.choices)
    subject = models.CharField(_("subject"), max_length=120, blank=True, default="")
    body = models.TextField(_("body"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("message template")
        ordering = ["code", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["code", "channel"], name="care_template_code_channel")
        ]

    def __str__(self) -> str:
        return f"{self.code}/{self.channel}"


class Campaign(models.Model):
    """A direct-mail campaign (DM) to a segment (or a member filter), run by the worker."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    name = models.CharField(_("campaign name"), max_length=80)
    template_code = models.SlugField(_("template"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10, choices=ChannelKind.choices)
    segment_id = models.BigIntegerField(_("segment"), null=True, blank=True)
    member_filter = models.JSONField(default=dict, blank=True)
    coupon_template = models.ForeignKey(
        "coupons.CouponTemplate",
        verbose_name=_("coupon attached"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    last_member_id = models.BigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        "stores.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the last chunk's commit
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)


class Delivery(models.Model):
    """One message to one recipient through one channel: the delivery log."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", pgettext_lazy("care", "Sent")  # the provider accepted it
        DELIVERED = "delivered", _("Delivered")  # the provider (or the inbox) confirmed it
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Not sent")  # opted out, capped

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=10, choices=ChannelKind.choices)
    backend = models.CharField(max_length=120, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=15, choices=MessageKind.choices)
    template_code = models.CharField(_("template"), max_length=40)
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient_enc = models.TextField(blank=True, default="")
    recipient_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    recipient_masked = models.CharField(_("recipient"), max_length=60, blank=True, default="")
    subject = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField()
    params = models.JSONField(default=dict, blank=True)  # template variables (for WeChat)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(max_length=30, blank=True, default="")  # why suppressed/deferred
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    provider_id = models.CharField(max_length=100, blank=True, default="")
    provider_response = models.TextField(blank=True, default="")
    receipt = models.TextField(blank=True, default="")  # the provider's delivery receipt (回执)
    last_error = models.CharField(max_length=500, blank=True, default="")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["member", "kind", "created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["provider_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.pk}"


class OutboxMessage(models.Model):
    """The development/test channel: what would have gone out, kept here (no network)."""

    channel = models.CharField(max_length=10, choices=ChannelKind.choices)
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient_hash = models.CharField(max_length=64, db_index=True)
    recipient_masked = models.CharField(max_length=60)
    subject = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("outbox message")
        ordering = ["-pk"]


class InboxMessage(models.Model):
    """A message in a member's in-app inbox (站内信), shown in the member portal."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbox message")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["member", "read_at"])]


class OptOut(models.Model):
    """A member who said no to marketing messages (退订); honoured from the next send."""

    class Source(models.TextChoices):
        LINK = "link", _("Unsubscribe link")
        SMS = "sms", _("SMS reply")
        STAFF = "staff", pgettext_lazy("care", "Staff")
        API = "api", _("API")

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("marketing opt-out")


class CampaignRecipient(models.Model):
    """One member of a campaign: unique, so a resumed run never serves anyone twice."""

    class Status(models.TextChoices):
        SENT = "sent", _("Queued for sending")
        OPTED_OUT = "opted_out", _("Opted out")
        NO_ADDRESS = "no_address", _("No address")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices)
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    coupon = models.ForeignKey(
        "coupons.Coupon", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member"], name="care_campaign_member_once")
        ]


class CareRule(models.Model):
    """An automatic care rule (Cm2): an occasion, a template, a channel, when."""

    class Kind(models.TextChoices):
        BIRTHDAY = "birthday", _("Birthday greeting")
        ANNIVERSARY = "anniversary", _("Membership anniversary")
        BALANCE_CHANGE = "balance_change", _("Balance change notice")
        POINTS_CHANGE = "points_change", _("Points change notice")
        POINTS_EXPIRY = "points_expiry", _("Points expiry reminder")
        COUPON_EXPIRY = "coupon_expiry", _("Coupon expiry reminder")
        PACKAGE_EXPIRY = "package_expiry", _("Count card expiry reminder")
        CARD_EXPIRY = "card_expiry", _("Card expiry reminder")
        TIER_DOWNGRADE = "tier_downgrade", _("Tier downgrade warning")

    kind = models.CharField(_("occasion"), max_length=20, choices=Kind.choices, unique=True)
    template_code = models.SlugField(_("template"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10, choices=ChannelKind.choices)
    days_ahead = models.PositiveSmallIntegerField(_("days ahead"), default=0)
    coupon_template = models.ForeignKey(
        "coupons.CouponTemplate",
        verbose_name=_("coupon attached"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("care rule")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.kind


class CareSend(models.Model):
    """A rule served a member for an occasion (``birthday:2026``): once, by the unique key."""

    rule = models.ForeignKey(CareRule, on_delete=models.CASCADE, related_name="sends")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    occasion = models.CharField(max_length=60)
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "member", "occasion"], name="care_send_once_per_occasion"
            ),
            models.CheckConstraint(condition=~Q(occasion=""), name="care_send_occasion_set"),
        ]


class CareDate(models.Model):
    """A special date or holiday the merchant chose (三八节 03-08, 春节 正月初一, 中秋 八月十五,
    a one-off day) with a template and an optional offer; each member once per occurrence."""

    class Calendar(models.TextChoices):
        SOLAR = "solar", _("Solar date, every year")
        LUNAR = "lunar", _("Lunar date, every year")
        ONCE = "once", _("One-off date")

    name = models.CharField(_("occasion name"), max_length=60)
    calendar = models.CharField(_("calendar"), max_length=10, choices=Calendar.choices)
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    day = models.PositiveSmallIntegerField(_("day"), null=True, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)  # a one-off date
    template_code = models.SlugField(_("template"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10, choices=ChannelKind.choices)
    days_ahead = models.PositiveSmallIntegerField(_("days ahead"), default=0)
    coupon_template = models.ForeignKey(
        "coupons.CouponTemplate",
        verbose_name=_("coupon attached"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("special date")
        ordering = ["calendar", "month", "day", "date", "pk"]

    def __str__(self) -> str:
        return self.name


class CareOnce(models.Model):
    """A member served once for a key: a special date's occurrence (``date:3:2026``,
    ``date:4:lunar2026``) or an activity change notice (``activity:12:v3``)."""

    key = models.CharField(max_length=60)
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "member"], name="care_once_per_key"),
            models.CheckConstraint(condition=~Q(key=""), name="care_once_key_set"),
        ]
