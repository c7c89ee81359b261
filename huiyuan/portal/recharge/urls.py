from django.urls import URLPattern, path

from huiyuan.portal.recharge import views

app_name = "recharge"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("orders/<slug:number>/", views.result, name="result"),
]
