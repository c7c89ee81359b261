"""Configuration and report pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console.config import (
    batch,
    card_types,
    earn_rules,
    joining,
    points,
    reports,
    store_scope,
    tiers,
    wallet,
)

urlpatterns = [
    path("config/card-types/", card_types.card_types, name="config_card_types"),
    path(
        "config/card-types/<int:card_type_id>/",
        card_types.card_type_edit,
        name="config_card_type_edit",
    ),
    path(
        "config/card-types/default/", card_types.card_type_default, name="config_card_type_default"
    ),
    path("config/wallet/", wallet.wallet_settings, name="config_wallet"),
    path("config/wallet/policy/", wallet.wallet_policy, name="config_wallet_policy"),
    path("config/wallet/packages/", wallet.recharge_package_create, name="config_package_create"),
    path(
        "config/wallet/packages/<int:package_id>/",
        wallet.recharge_package_edit,
        name="config_package_edit",
    ),
    path(
        "config/wallet/packages/<int:package_id>/active/",
        wallet.recharge_package_set_active,
        name="config_package_set_active",
    ),
    path("config/points/", points.points_policy, name="config_points"),
    path("config/joining/", joining.joining_policy, name="config_joining"),
    path("config/earn-rules/", earn_rules.earn_rules, name="config_earn_rules"),
    path("config/earn-rules/dry-run/", earn_rules.earn_rule_dry_run, name="config_earn_dry_run"),
    path("config/store-scope/", store_scope.store_scope_policy, name="config_store_scope"),
    path("config/tiers/", tiers.tiers, name="config_tiers"),
    path("config/tiers/<int:tier_id>/", tiers.tier_edit, name="config_tier_edit"),
    path("config/tiers/evaluate/", tiers.tiers_evaluate, name="config_tiers_evaluate"),
    path("config/tiers/policy/", tiers.tier_policy, name="config_tier_policy"),
    path("config/batch-recharge/", batch.batch_recharge, name="config_batch"),
    path(
        "config/batch-recharge/confirm/", batch.batch_recharge_confirm, name="config_batch_confirm"
    ),
    path(
        "config/batch-recharge/discard/", batch.batch_recharge_discard, name="config_batch_discard"
    ),
    path(
        "config/batch-recharge/check.xlsx", batch.batch_recharge_report, name="config_batch_report"
    ),
    path(
        "config/batch-recharge/template.xlsx",
        batch.batch_recharge_template,
        name="config_batch_template",
    ),
    path("reports/outstanding/", reports.report_outstanding, name="report_outstanding"),
    path(
        "reports/outstanding/export.xlsx",
        reports.report_outstanding_export,
        name="report_outstanding_export",
    ),
    path("reports/points/", reports.report_points, name="report_points"),
    path("reports/points/export.xlsx", reports.report_points_export, name="report_points_export"),
]
