"""Public care URLs (under ``/care/``): the unsubscribe link, inbound SMS replies."""

from django.urls import path

from huiyuan.care import views

app_name = "care"

urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("sms/inbound/<str:secret>/", views.sms_inbound, name="sms_inbound"),
    path("sms/receipt/<str:provider>/<str:secret>/", views.sms_receipt, name="sms_receipt"),
]
