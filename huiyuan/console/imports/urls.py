"""Import pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console.imports import views

urlpatterns = [
    path("imports/", views.import_home, name="imports"),
    path("imports/history/", views.import_history, name="import_history"),
    path("imports/<int:job_id>/", views.import_job, name="import_job"),
    path("imports/<int:job_id>/run/", views.import_job_run, name="import_job_run"),
    path("imports/<int:job_id>/errors.xlsx", views.import_job_errors, name="import_job_errors"),
]
