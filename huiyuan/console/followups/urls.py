"""Follow-up pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console.followups import (
    sections,  # noqa: F401 (importing it registers the member page's follow-up block)
    views,
)

urlpatterns = [
    path("followups/", views.followup_list, name="followup_list"),
    path("followups/new/", views.followup_create, name="followup_create"),
    path("followups/settings/", views.followup_settings, name="followup_settings"),
    path("followups/<int:followup_id>/", views.followup_detail, name="followup_detail"),
    path("followups/<int:followup_id>/take/", views.followup_take, name="followup_take"),
    path("followups/<int:followup_id>/assign/", views.followup_assign, name="followup_assign"),
    path("followups/<int:followup_id>/cancel/", views.followup_cancel, name="followup_cancel"),
]
