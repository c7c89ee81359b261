"""Analytics pages: the dashboard, the report center, scheduled reports, the cashier's day."""

from django.urls import path

from huiyuan.console.analytics import views

urlpatterns = [
    path("analytics/", views.analytics_dashboard, name="analytics_dashboard"),
    path("analytics/my-day/", views.my_day, name="analytics_my_day"),
    path("reports/", views.report_center, name="report_center"),
    path("reports/schedules/", views.schedule_list, name="report_schedules"),
    path(
        "reports/schedules/<int:schedule_id>/delete/",
        views.schedule_delete,
        name="report_schedule_delete",
    ),
    path("reports/<slug:code>/", views.report_view, name="report_view"),
    path("reports/<slug:code>/export.xlsx", views.report_export, name="report_export"),
]
