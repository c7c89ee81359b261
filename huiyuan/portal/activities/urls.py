from django.urls import URLPattern, path

from huiyuan.portal.activities import views

app_name = "activities"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("<int:activity_id>/", views.detail, name="detail"),
    path("<int:activity_id>/signup/", views.signup, name="signup"),
    path("signups/<int:signup_id>/cancel/", views.cancel, name="cancel"),
]
