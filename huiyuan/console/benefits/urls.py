"""Benefit-card pages (权益卡): plans, cards sold, one card (same "console" namespace)."""

from django.urls import path

from huiyuan.console.benefits import (
    sections,  # noqa: F401 (importing it registers the member page's benefit block)
    views,
)

urlpatterns = [
    path("benefits/plans/", views.plan_list, name="benefit_plans"),
    path("benefits/plans/new/", views.plan_edit, name="benefit_plan_create"),
    path("benefits/plans/<int:plan_id>/", views.plan_edit, name="benefit_plan_edit"),
    path("benefits/", views.benefit_list, name="benefit_list"),
    path("benefits/<int:benefit_id>/", views.benefit_detail, name="benefit_detail"),
    path("benefits/<int:benefit_id>/upgrade/", views.benefit_upgrade, name="benefit_upgrade"),
    path("benefits/<int:benefit_id>/refund/", views.benefit_refund, name="benefit_refund"),
]
