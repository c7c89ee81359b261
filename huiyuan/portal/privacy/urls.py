from django.urls import URLPattern, path

from huiyuan.portal.privacy import views

app_name = "privacy"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("export/", views.export, name="export"),
    path("marketing/", views.marketing, name="marketing"),
    path("delete/", views.delete, name="delete"),
    path("password/", views.password, name="password"),
]
