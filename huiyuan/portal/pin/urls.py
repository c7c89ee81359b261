from django.urls import URLPattern, path

from huiyuan.portal.pin import views

app_name = "pin"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
]
