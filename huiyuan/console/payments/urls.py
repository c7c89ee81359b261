"""Online payment pages (same "console" namespace): orders, their detail, the PIN policy."""

from django.urls import path

from huiyuan.console.payments import views

urlpatterns = [
    path("payments/orders/", views.order_list, name="payment_orders"),
    path("payments/orders/<int:order_id>/", views.order_detail, name="payment_order"),
    path("payments/pin-policy/", views.pin_policy, name="payment_pin_policy"),
]
