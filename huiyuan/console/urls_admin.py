"""Back-office pages: audit log, stores, terminals, staff, API keys, tags, custom fields."""

from django.urls import path

from huiyuan.console import admin_edits, admin_views, api_key_limits

urlpatterns = [
    path("audit/", admin_views.audit, name="audit"),
    path("stores/", admin_views.stores, name="stores"),
    path("stores/<int:store_id>/", admin_views.store_detail, name="store_detail"),
    path("stores/<int:store_id>/edit/", admin_edits.store_edit, name="store_edit"),
    path("terminals/<int:terminal_id>/edit/", admin_edits.terminal_edit, name="terminal_edit"),
    path("staff/<int:staff_id>/edit/", admin_edits.staff_edit, name="staff_edit"),
    path("staff/<int:staff_id>/password/", admin_edits.staff_password, name="staff_password"),
    path("staff/", admin_views.staff, name="staff"),
    path("staff/<int:staff_id>/active/", admin_views.staff_set_active, name="staff_set_active"),
    path("api-keys/", admin_views.api_keys, name="api_keys"),
    path("api-keys/<int:api_key_id>/revoke/", admin_views.api_key_revoke, name="api_key_revoke"),
    path("api-keys/<int:api_key_id>/limits/", api_key_limits.api_key_limits, name="api_key_limits"),
    path("tags/", admin_views.tags, name="tags"),
    path("custom-fields/", admin_views.custom_fields, name="custom_fields"),
    path(
        "custom-fields/<int:field_id>/active/",
        admin_views.custom_field_set_active,
        name="custom_field_set_active",
    ),
]
