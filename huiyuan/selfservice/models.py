"""What a member keeps for acting on their own behalf.

- ``MemberCredential``: the member's portal password (Django's hashers), one per member.
- ``VerificationCode``: an SMS code, stored hashed, valid five minutes, used once.
- ``Attempt``: every code request and sign-in attempt, per mobile and per IP, for rate
  limits kept in the database (so they hold across processes and machines).
- ``Document`` / ``DocumentVersion`` / ``Consent``: the member charter (会员章程) and the
  privacy notice, each versioned; a consent row records which version a member accepted.
- ``MarketingConsent``: whether marketing messages may be sent (PIPL: withdrawable).
- ``DataRequest``: a member's PIPL request (data download, account deletion), audited.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberCredential(models.Model):
    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="portal_credential"
    )
    password = models.CharField(max_length=200)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("member password")


class VerificationCode(models.Model):
    class Purpose(models.TextChoices):
        JOIN = "join", _("Join")
        SIGNIN = "signin", _("Sign in")
        RESET = "reset", _("Password reset")

    mobile_hash = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    code_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("verification code")
        indexes = [models.Index(fields=["mobile_hash", "purpose", "created_at"])]


class Attempt(models.Model):
    """One rate-limited act: a code sent, a sign-in tried (ok or not)."""

    class Kind(models.TextChoices):
        CODE_SENT = "code_sent", _("Code sent")
        SIGNIN_FAILED = "signin_failed", _("Sign-in failed")
        CODE_FAILED = "code_failed", _("Wrong code")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    mobile_hash = models.CharField(max_length=64, blank=True, default="")
    ip = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("sign-in attempt")
        indexes = [
            models.Index(fields=["kind", "mobile_hash", "created_at"]),
            models.Index(fields=["kind", "ip", "created_at"]),
        ]


class Document(models.Model):
    class Kind(models.TextChoices):
        CHARTER = "charter", _("Member charter")
        PRIVACY = "privacy", _("Privacy notice")

    kind = models.CharField(max_length=20, choices=Kind.choices, unique=True)

    class Meta:
        verbose_name = _("member document")

    def __str__(self) -> str:
        return str(self.get_kind_display())


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=100)
    body = models.TextField()
    published_at = models.DateTimeField()

    class Meta:
        verbose_name = _("document version")
        ordering = ["document_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "version"], name="selfservice_docversion_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Consent(models.Model):
    """A member accepted one version of a document (append-only)."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField()
    ip = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("consent")
        constraints = [
            models.UniqueConstraint(fields=["member", "version"], name="selfservice_consent_once")
        ]


class MarketingConsent(models.Model):
    """Whether the member allows marketing messages; no row means allowed (opt-out)."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="marketing_consent"
    )
    allowed = models.BooleanField(default=True)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("marketing consent")


class DataRequest(models.Model):
    class Kind(models.TextChoices):
        EXPORT = "export", _("Data download")
        DELETION = "deletion", _("Account deletion")

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("data request")
        ordering = ["-created_at"]
