"""Configuration and report pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console import config_views as views

urlpatterns = [
    path("config/card-types/", views.card_types, name="config_card_types"),
    path("config/wallet/", views.wallet_settings, name="config_wallet"),
    path("config/wallet/policy/", views.wallet_policy, name="config_wallet_policy"),
    path("config/wallet/packages/", views.recharge_package_create, name="config_package_create"),
    path(
        "config/wallet/packages/<int:package_id>/active/",
        views.recharge_package_set_active,
        name="config_package_set_active",
    ),
    path("config/points/", views.points_policy, name="config_points"),
    path("config/earn-rules/", views.earn_rules, name="config_earn_rules"),
    path("config/earn-rules/dry-run/", views.earn_rule_dry_run, name="config_earn_dry_run"),
    path("config/tiers/", views.tiers, name="config_tiers"),
    path("config/tiers/evaluate/", views.tiers_evaluate, name="config_tiers_evaluate"),
    path("config/tiers/policy/", views.tier_policy, name="config_tier_policy"),
    path("config/batch-recharge/", views.batch_recharge, name="config_batch"),
    path(
        "config/batch-recharge/confirm/", views.batch_recharge_confirm, name="config_batch_confirm"
    ),
    path(
        "config/batch-recharge/discard/", views.batch_recharge_discard, name="config_batch_discard"
    ),
    path(
        "config/batch-recharge/check.xlsx", views.batch_recharge_report, name="config_batch_report"
    ),
    path(
        "config/batch-recharge/template.xlsx",
        views.batch_recharge_template,
        name="config_batch_template",
    ),
    path("reports/outstanding/", views.report_outstanding, name="report_outstanding"),
    path(
        "reports/outstanding/export.xlsx",
        views.report_outstanding_export,
        name="report_outstanding_export",
    ),
    path("reports/points/", views.report_points, name="report_points"),
    path("reports/points/export.xlsx", views.report_points_export, name="report_points_export"),
]
