"""Package pages (次卡): plans, the counter's 核销, a package (same "console" namespace)."""

from django.urls import path

from huiyuan.console.packages import (
    counter,
    detail,
    plans,
    sections,  # noqa: F401 (importing it registers the member page's packages block)
)

urlpatterns = [
    path("packages/plans/", plans.plan_list, name="package_plans"),
    path("packages/plans/new/", plans.plan_edit, name="package_plan_create"),
    path("packages/plans/<int:plan_id>/", plans.plan_edit, name="package_plan_edit"),
    path("packages/counter/", counter.counter, name="package_counter"),
    path("packages/<int:package_id>/", detail.package_detail, name="package_detail"),
    path(
        "packages/<int:package_id>/uses/<int:use_id>/undo/",
        detail.use_undo,
        name="package_use_undo",
    ),
    path("packages/<int:package_id>/refund/", detail.refund, name="package_refund"),
]
