from django.urls import URLPattern, path

from huiyuan.portal.sections import views

app_name = "sections"
urlpatterns: list[URLPattern] = [
    path("coupons/", views.coupons, name="coupons"),
    path("coupons/<int:coupon_id>/", views.coupon, name="coupon"),
    path("packages/", views.packages, name="packages"),
    path("gifts/", views.gifts, name="gifts"),
]
