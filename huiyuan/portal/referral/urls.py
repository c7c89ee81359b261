from django.urls import URLPattern, path

from huiyuan.portal.referral import views

app_name = "referral"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
]
