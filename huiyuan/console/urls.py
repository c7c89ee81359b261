from django.urls import include, path

from huiyuan.console import views

app_name = "console"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.login_view, name="login"),
    # Back-office pages live in urls_admin.py (same "console" namespace).
    path("", include("huiyuan.console.urls_admin")),
]
