"""Sign-in pages and the staff page's sign-in controls (namespace "console")."""

from django.urls import path

from huiyuan.console.auth import staff_views, views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("login/enrol/", views.login_enrol, name="login_enrol"),
    path("login/enrol/qr.svg", views.login_enrol_qr, name="login_enrol_qr"),
    path("logout/", views.logout_view, name="logout"),
    path("account/security/", views.signin_security, name="signin_security"),
    path("account/backup-codes/", views.backup_codes, name="backup_codes"),
    path("staff/<int:staff_id>/unlock/", staff_views.staff_unlock, name="staff_unlock"),
    path(
        "staff/<int:staff_id>/second-factor/reset/",
        staff_views.staff_second_factor_reset,
        name="staff_second_factor_reset",
    ),
]
