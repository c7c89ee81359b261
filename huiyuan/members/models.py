"""The member archive (M1) and its lifecycle state (M4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huiyuan.core import pii


class Tag(models.Model):
    name = models.CharField(_("tag"), max_length=30, unique=True)
    color = models.CharField(max_length=20, default="blue")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tag")  # 标签
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    """A merchant-defined archive field (e.g. 车牌号, 肤质, 宠物品种)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Whole number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        BOOL = "bool", _("Yes / no")

    key = models.SlugField(_("key"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("custom field")  # 自定义字段
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class Member(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")
        TERMINATED = "terminated", _("Terminated")
        MERGED = "merged", _("Merged")

    class Gender(models.TextChoices):
        UNKNOWN = "U", _("Unknown")
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class Channel(models.TextChoices):
        STORE = "store", _("Store counter")
        CALL_CENTER = "call_center", _("Call center")
        SELF = "self", _("Self sign-up")
        IMPORT = "import", _("Batch import")
        API = "api", _("API")

    class Calendar(models.TextChoices):
        SOLAR = "solar", _("Solar")
        LUNAR = "lunar", _("Lunar")

    code = models.CharField(_("member number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_pinyin = models.CharField(max_length=200)
    name_initials = models.CharField(max_length=50)
    gender = models.CharField(
        _("gender"), max_length=1, choices=Gender.choices, default=Gender.UNKNOWN
    )

    # Mobile: encrypted, found by a keyed hash or by its last four digits.
    mobile_enc = models.TextField()
    mobile_hash = models.CharField(max_length=64, unique=True, null=True)
    mobile_masked = models.CharField(max_length=20)
    mobile_last4 = models.CharField(max_length=4, db_index=True)

    # Birthday: the solar date of birth; for a lunar birthday also the lunar month/day.
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    birthday_calendar = models.CharField(
        max_length=5, choices=Calendar.choices, default=Calendar.SOLAR
    )
    lunar_birth_month = models.PositiveSmallIntegerField(null=True, blank=True)
    lunar_birth_day = models.PositiveSmallIntegerField(null=True, blank=True)
    lunar_birth_leap = models.BooleanField(default=False)

    id_number_enc = models.TextField(blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField(max_length=20, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    address_enc = models.TextField(blank=True)
    occupation = models.CharField(_("occupation"), max_length=50, blank=True)
    preferences = models.TextField(_("lifestyle and preferences"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="members")

    channel = models.CharField(_("source channel"), max_length=20, choices=Channel.choices)
    home_store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("joining store"),
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registered by"),
    )
    referrer = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("referrer"),
    )

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    earn_frozen = models.BooleanField(_("earning frozen"), default=False)
    spend_frozen = models.BooleanField(_("spending frozen"), default=False)
    freeze_reason = models.CharField(max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_members"
    )
    consent_at = models.DateTimeField(_("charter accepted at"), null=True, blank=True)
    joined_at = models.DateTimeField(_("joined at"), db_index=True)
    last_activity_at = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member")  # 会员
        ordering = ["-joined_at", "-id"]
        indexes = [
            # Prefix searches by initials or full pinyin read these in (prefix, id) order.
            models.Index(fields=["name_initials", "id"], name="member_initials_id_idx"),
            models.Index(fields=["name_pinyin", "id"], name="member_pinyin_id_idx"),
            # LIKE 'name%' on PostgreSQL needs the pattern operator class (ignored elsewhere).
            models.Index(
                fields=["name"], name="member_name_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["home_store", "joined_at"]),
            models.Index(fields=["status", "last_activity_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def mobile(self) -> str:
        return pii.decrypt(self.mobile_enc)

    @property
    def id_number(self) -> str:
        return pii.decrypt(self.id_number_enc)

    @property
    def address(self) -> str:
        return pii.decrypt(self.address_enc)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_frozen(self) -> bool:
        return self.earn_frozen or self.spend_frozen
