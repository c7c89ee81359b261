from django.urls import URLPattern, path

from huiyuan.portal.inbox import views

app_name = "inbox"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("read-all/", views.read_all, name="read_all"),
]
