"""The webhook pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console.webhooks import views

urlpatterns = [
    path("webhooks/", views.subscription_list, name="webhooks"),
    path("webhooks/new/", views.subscription_create, name="webhook_create"),
    path("webhooks/<int:subscription_id>/", views.subscription_detail, name="webhook_detail"),
    path("webhooks/<int:subscription_id>/edit/", views.subscription_edit, name="webhook_edit"),
    path(
        "webhooks/<int:subscription_id>/disable/",
        views.subscription_disable,
        name="webhook_disable",
    ),
    path(
        "webhooks/<int:subscription_id>/enable/", views.subscription_enable, name="webhook_enable"
    ),
    path(
        "webhooks/<int:subscription_id>/secret/",
        views.subscription_rotate_secret,
        name="webhook_rotate_secret",
    ),
    path("webhooks/deliveries/<int:delivery_id>/", views.delivery_detail, name="webhook_delivery"),
    path(
        "webhooks/deliveries/<int:delivery_id>/replay/",
        views.delivery_replay,
        name="webhook_delivery_replay",
    ),
]
