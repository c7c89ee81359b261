"""Activity pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console.activities import counter, pages, programs

urlpatterns = [
    path("activities/", pages.activity_list, name="activity_list"),
    path("activities/new/", pages.activity_create, name="activity_create"),
    path("activities/<int:activity_id>/", pages.activity_detail, name="activity_detail"),
    path("activities/<int:activity_id>/edit/", pages.activity_edit, name="activity_edit"),
    path("activities/<int:activity_id>/publish/", pages.activity_publish, name="activity_publish"),
    path("activities/<int:activity_id>/end/", pages.activity_end, name="activity_end"),
    path("activities/<int:activity_id>/cancel/", pages.activity_cancel, name="activity_cancel"),
    path(
        "activities/<int:activity_id>/counter/", counter.activity_counter, name="activity_counter"
    ),
    path(
        "activities/signups/<int:signup_id>/cancel/",
        counter.signup_cancel,
        name="activity_signup_cancel",
    ),
    path(
        "activities/signups/<int:signup_id>/attend/",
        counter.signup_attend,
        name="activity_signup_attend",
    ),
    path("activities/tasks/", programs.tasks_page, name="activity_tasks"),
    path("activities/points-days/", programs.points_days_page, name="points_days"),
    path(
        "activities/points-days/<int:day_id>/toggle/",
        programs.points_day_toggle,
        name="points_day_toggle",
    ),
    path("activities/dry-run/", programs.dry_run_page, name="activity_dry_run"),
]
