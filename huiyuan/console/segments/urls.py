"""Segment pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console.segments import views

urlpatterns = [
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/new/", views.segment_create, name="segment_create"),
    path("segments/count/", views.segment_count, name="segment_count"),
    path("segments/rfm/", views.rfm_overview, name="segment_rfm"),
    path("segments/refresh/", views.profiles_refresh, name="segment_refresh"),
    path("segments/predictions/", views.predictions, name="segment_predictions"),
    path("segments/<int:segment_id>/", views.segment_detail, name="segment_detail"),
    path("segments/<int:segment_id>/edit/", views.segment_edit, name="segment_edit"),
    path("segments/<int:segment_id>/delete/", views.segment_delete, name="segment_delete"),
]
