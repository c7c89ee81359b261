"""Store-operations pages: shifts, commission, settlement (same "console" namespace)."""

from django.urls import path

from huiyuan.console.storeops import commission, settlement, views

urlpatterns = [
    path("shifts/", views.my_shift, name="shift_mine"),
    path("shifts/day/", views.shift_day, name="shift_day"),
    path("shifts/<int:shift_id>/", views.shift_slip, name="shift_slip"),
    path("commission/", commission.report, name="commission_report"),
    path("commission/export.xlsx", commission.export, name="commission_export"),
    path("commission/rules/", commission.rules, name="commission_rules"),
    path(
        "commission/rules/<int:rule_id>/retire/",
        commission.rule_retire,
        name="commission_rule_retire",
    ),
    path("settlement/", settlement.report, name="settlement_report"),
    path("settlement/export.xlsx", settlement.export, name="settlement_export"),
]
