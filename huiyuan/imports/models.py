"""Imports (M3) and legacy migration: an uploaded file, its job, its row errors.

``ImportJob`` is one uploaded file and its run: the column mapping, progress counters
(rows done of the total, updated after every batch), and the outcome. ``ImportRowError``
keeps each refused row's original cells and message, for the error workbook.
``ImportMapping`` remembers a staff member's last mapping per kind. ``OpeningBalance`` is
the one opening operation of a card (its natural key: a card has at most one).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    MEMBERS = "members", _("Members")
    OPENING = "opening", _("Opening balances")
    SALES = "sales", _("Sales history")  # past purchases for RFM (huiyuan/segments/history.py)


class ImportJob(models.Model):
    class Status(models.TextChoices):
        UPLOADING = "uploading", _("Uploading")  # parts still to come (the API)
        UPLOADED = "uploaded", _("Uploaded")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=ImportKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    filename = models.CharField(_("file"), max_length=200)
    file_format = models.CharField(max_length=5)  # xlsx | csv
    encoding = models.CharField(max_length=20, blank=True)
    file_size = models.BigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, blank=True)
    stored_name = models.CharField(max_length=100)  # under settings.IMPORTS_DIR
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)  # field -> column index
    options = models.JSONField(default=dict)  # store_id, update_existing, card_type_id
    store_id = models.BigIntegerField(null=True, blank=True)
    rows_total = models.IntegerField(null=True, blank=True)
    rows_done = models.IntegerField(default=0)
    rows_created = models.IntegerField(default=0)
    rows_present = models.IntegerField(default=0)  # already there: nothing written
    rows_updated = models.IntegerField(default=0)
    rows_error = models.IntegerField(default=0)
    totals = models.JSONField(default=dict)  # opening balances: what the file holds
    message = models.CharField(max_length=500, blank=True)
    run_key = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")  # 导入
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} #{self.pk}"

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.rows_done * 100 // self.rows_total)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ImportRowError(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.IntegerField()  # the spreadsheet's row number (the header is row 1)
    cells = models.JSONField(default=list)  # the original row, as read
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ["job", "row"]
        constraints = [
            models.UniqueConstraint(fields=["job", "row"], name="imports_one_error_per_row")
        ]


class ImportMapping(models.Model):
    """The mapping a staff member used last for a kind of import (offered next time)."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    columns = models.JSONField(default=dict)  # field -> header text
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["staff", "kind"], name="imports_one_mapping_per_kind")
        ]


class OpeningBalance(models.Model):
    """A card's opening balance from the legacy system: posted once per card, ever."""

    card_id = models.BigIntegerField(unique=True)
    member_id = models.BigIntegerField(null=True, blank=True)
    job = models.ForeignKey(ImportJob, on_delete=models.PROTECT, related_name="openings")
    row = models.IntegerField()
    operation_id = models.BigIntegerField()
    principal_fen = models.BigIntegerField(default=0)
    bonus_fen = models.BigIntegerField(default=0)
    points = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("opening balance")  # 期初余额
