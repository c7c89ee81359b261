"""URLs of payments: provider notifications and the sandbox provider's pay page."""

from django.urls import URLPattern, URLResolver, path

from huiyuan.payments import views

app_name = "payments"
urlpatterns: list[URLPattern | URLResolver] = [
    path("notify/<slug:provider>/", views.notify, name="notify"),
    path("sandbox/<slug:number>/", views.sandbox_pay, name="sandbox_pay"),
]
