from django.urls import include, path

from huiyuan.console import views

app_name = "console"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("password/", views.password_change, name="password_change"),
    path("store/", views.switch_store, name="switch_store"),
    path("members/", views.member_list, name="member_list"),
    path("members/export.xlsx", views.member_export, name="member_export"),
    path("members/search/", views.member_search, name="member_search"),
    path("members/go/", views.member_go, name="member_go"),
    path("members/new/", views.member_register, name="member_register"),
    path("members/<int:member_id>/", views.member_detail, name="member_detail"),
    path("members/<int:member_id>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:member_id>/freeze/", views.member_freeze, name="member_freeze"),
    path("members/<int:member_id>/unfreeze/", views.member_unfreeze, name="member_unfreeze"),
    path("members/<int:member_id>/cancel/", views.member_cancel, name="member_cancel"),
    path("members/<int:member_id>/restore/", views.member_restore, name="member_restore"),
    path("members/<int:member_id>/terminate/", views.member_terminate, name="member_terminate"),
    path("members/<int:member_id>/merge/", views.member_merge, name="member_merge"),
    path("members/<int:member_id>/reveal/", views.member_reveal, name="member_reveal"),
    # Sign-in pages live in auth/urls.py, back-office pages in urls_admin.py (same namespace).
    path("", include("huiyuan.console.auth.urls")),
    path("", include("huiyuan.console.urls_admin")),
    path("", include("huiyuan.console.counter.urls")),
    path("", include("huiyuan.console.config.urls")),
    path("", include("huiyuan.console.catalog.urls")),
    path("", include("huiyuan.console.stock.urls")),
    path("", include("huiyuan.console.promotions.urls")),
    path("", include("huiyuan.console.packages.urls")),
    path("", include("huiyuan.console.gifts.urls")),
    path("", include("huiyuan.console.coupons.urls")),
    path("", include("huiyuan.console.imports.urls")),
    path("", include("huiyuan.console.cards.urls")),
    path("", include("huiyuan.console.events.urls")),
    path("", include("huiyuan.console.webhooks.urls")),
    path("", include("huiyuan.console.storeops.urls")),
]
