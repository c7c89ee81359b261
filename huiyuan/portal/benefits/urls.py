from django.urls import URLPattern, path

from huiyuan.portal.benefits import views

app_name = "benefits"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("<int:benefit_id>/", views.detail, name="detail"),
    path("orders/<slug:number>/", views.result, name="result"),
]
