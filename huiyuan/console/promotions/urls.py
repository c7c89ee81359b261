"""Promotion and holiday pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console.promotions import holidays, views

urlpatterns = [
    path("promotions/", views.promotion_list, name="promotions"),
    path("promotions/new/", views.promotion_create, name="promotion_create"),
    path("promotions/<int:promotion_id>/", views.promotion_detail, name="promotion_detail"),
    path(
        "promotions/<int:promotion_id>/version/",
        views.promotion_new_version,
        name="promotion_new_version",
    ),
    path("promotions/<int:promotion_id>/end/", views.promotion_stop, name="promotion_end"),
    path("promotions/holidays/", holidays.holidays, name="promotion_holidays"),
    path(
        "promotions/holidays/<str:day>/delete/",
        holidays.holiday_remove,
        name="promotion_holiday_delete",
    ),
]
