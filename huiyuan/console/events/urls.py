"""The events pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console.events import views

urlpatterns = [
    path("events/", views.event_list, name="events"),
    path("events/<int:event_id>/", views.event_detail, name="event_detail"),
    path("events/<int:event_id>/retry/", views.event_retry, name="event_retry"),
]
