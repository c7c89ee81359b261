"""The points policy (积分)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.config.forms.points import PointsPolicyForm
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm
from huiyuan.points import services as points_services
from huiyuan.points.models import PointsPolicy


@login_required
def points_policy(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.POINTS_CONFIGURE)
    policy = PointsPolicy.current()
    form = PointsPolicyForm(request.POST or None, initial=PointsPolicyForm.initial_for(policy))
    if request.method == "POST" and form.is_valid():
        try:
            points_services.points_policy_update(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The points policy has been saved."))
            return redirect("console:config_points")
    return render(
        request,
        "console/config/points_policy.html",
        {"form": form, "policy": policy, "example": _policy_example(policy)},
    )


def _policy_example(policy: PointsPolicy) -> dict[str, Any]:
    """A worked example for the page: what 1,000 points pay on a ¥100 bill."""
    points = 1000
    value_fen = points * 100 // policy.points_per_yuan
    cap_fen = 10000 * policy.max_offset_percent // 100
    return {
        "points": points,
        "value": fen_to_yuan_str(value_fen),
        "cap": fen_to_yuan_str(cap_fen),
        "paid": fen_to_yuan_str(min(value_fen, cap_fen)),
    }
