"""What the console keeps for its own pages: a staff member's saved list filters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedFilter(models.Model):
    """A list page's filter kept by name (常用筛选), for the staff member who saved it."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    page = models.CharField(max_length=60)  # the list's URL name, e.g. "member_list"
    name = models.CharField(_("name"), max_length=30)
    query = models.CharField(max_length=1000)  # the query string, without page or export
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved filter")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "page", "name"], name="console_filter_name"),
        ]

    def __str__(self) -> str:
        return self.name
