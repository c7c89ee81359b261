from django.urls import URLPattern, path

from huiyuan.portal.cardactivate import views

app_name = "cardactivate"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
]
