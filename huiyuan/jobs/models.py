"""Periodic job runs: one row per (job, period), so a period runs once however many
schedulers are running."""

from __future__ import annotations

from django.db import models


class ScheduledRun(models.Model):
    job = models.CharField(max_length=60)
    period = models.CharField(max_length=30)
    claimed_by = models.CharField(max_length=100)
    claimed_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="jobs_run_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.period}"
