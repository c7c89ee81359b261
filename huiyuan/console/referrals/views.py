"""Referral pages (推荐有礼): the policy (points and coupons for the referrer, commission),
the commission and rewards; the member page's referral block (code, joining link, QR).
Paying commission out: ``payouts.py``."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_http_methods

from huiyuan.cards.images import qr_svg
from huiyuan.console.admin_forms import TablerForm, add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm
from huiyuan.core.xlsx import Column
from huiyuan.coupons.models import CouponTemplate
from huiyuan.referrals import selectors, services
from huiyuan.referrals.models import MAX_LEVELS, ReferralCommission, ReferralPolicy

PER_PAGE = 50
COMMISSION_COLUMNS: tuple[Column[ReferralCommission], ...] = (
    Column(gettext_lazy("Time"), lambda c: c.created_at, "moment", 18),
    Column(pgettext_lazy("referral", "To"), lambda c: c.beneficiary.name, width=14),
    Column(gettext_lazy("Member number"), lambda c: c.beneficiary.code, width=14),
    Column(pgettext_lazy("referral", "Level"), lambda c: c.level, "number", 8),
    Column(gettext_lazy("Referee"), lambda c: c.referee.name, width=14),
    Column(gettext_lazy("Paid"), lambda c: c.base_fen, "money", 12),
    Column(pgettext_lazy("referral", "Commission"), lambda c: c.amount_fen, "money", 12),
    Column(gettext_lazy("Status"), lambda c: c.get_status_display(), width=10),
    Column(gettext_lazy("Release on"), lambda c: c.release_on, "date", 12),
)


class PolicyForm(TablerForm):
    join_points = forms.IntegerField(
        label=gettext_lazy("Points when a referee joins"), min_value=0, max_value=1_000_000
    )
    first_purchase_points = forms.IntegerField(
        label=gettext_lazy("Points on a referee's first purchase"), min_value=0, max_value=1_000_000
    )
    levels = forms.IntegerField(
        label=gettext_lazy("Commission levels"),
        min_value=0,
        max_value=MAX_LEVELS,
        help_text=gettext_lazy("2 by default; at most 3."),
    )
    level1_percent = forms.DecimalField(
        label=gettext_lazy("Level 1 (%)"), min_value=0, max_value=100, decimal_places=2
    )
    level2_percent = forms.DecimalField(
        label=gettext_lazy("Level 2 (%)"), min_value=0, max_value=100, decimal_places=2
    )
    level3_percent = forms.DecimalField(
        label=gettext_lazy("Level 3 (%)"), min_value=0, max_value=100, decimal_places=2
    )
    hold_days = forms.IntegerField(
        label=gettext_lazy("Held for (days, the return window)"), min_value=0, max_value=365
    )
    join_coupon_template = forms.TypedChoiceField(
        label=gettext_lazy("Coupon when a referee joins"),
        coerce=int,
        empty_value=None,
        required=False,
    )
    first_purchase_coupon_template = forms.TypedChoiceField(
        label=gettext_lazy("Coupon on a referee's first purchase"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy(
            "Issued under the template's stock, budget and per-member limit; when none is "
            "left the reward is recorded as not given (the points are still given)."
        ),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, policy: ReferralPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = {policy.join_coupon_template_id, policy.first_purchase_coupon_template_id}
        templates = CouponTemplate.objects.filter(
            Q(status=CouponTemplate.Status.ACTIVE) | Q(pk__in=current - {None})
        ).order_by("name", "pk")
        choices: list[tuple[Any, str]] = [("", pgettext("referral", "No coupon"))]
        choices += [(t.pk, t.name) for t in templates]
        for name in ("join_coupon_template", "first_purchase_coupon_template"):
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = choices

    def policy_input(self) -> services.PolicyInput:
        data = self.cleaned_data
        return services.PolicyInput(
            join_points=data["join_points"],
            first_purchase_points=data["first_purchase_points"],
            levels=data["levels"],
            level1_bp=int(data["level1_percent"] * 100),
            level2_bp=int(data["level2_percent"] * 100),
            level3_bp=int(data["level3_percent"] * 100),
            hold_days=data["hold_days"],
            join_coupon_template_id=data["join_coupon_template"],
            first_purchase_coupon_template_id=data["first_purchase_coupon_template"],
        )


def _initial(policy: ReferralPolicy) -> dict[str, Any]:
    return {
        "join_points": policy.join_points,
        "first_purchase_points": policy.first_purchase_points,
        "levels": policy.levels,
        "level1_percent": policy.level1_bp / 100,
        "level2_percent": policy.level2_bp / 100,
        "level3_percent": policy.level3_bp / 100,
        "hold_days": policy.hold_days,
        "join_coupon_template": policy.join_coupon_template_id or "",
        "first_purchase_coupon_template": policy.first_purchase_coupon_template_id or "",
        "idempotency_key": uuid.uuid4().hex,
    }


@login_required
@require_http_methods(["GET", "POST"])
def referral_home(request: HttpRequest) -> HttpResponseBase:
    actor = acting_staff(request, Perm.MEMBER_VIEW)
    policy = ReferralPolicy.current()
    may_configure = actor.has(Perm.POINTS_CONFIGURE)
    form = None
    if may_configure:
        form = PolicyForm(request.POST or None, initial=_initial(policy), policy=policy)
        if request.method == "POST" and form.is_valid():
            try:
                services.policy_update(actor=actor, data=form.policy_input())
            except DomainError as exc:
                refuse_if_forbidden(exc)
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Referral terms saved."))
                return redirect("console:referrals")
    elif request.method == "POST":
        acting_staff(request, Perm.POINTS_CONFIGURE)
    status = request.GET.get("status") or ""
    rows = selectors.commissions(actor=actor, status=status)
    if request.method == "GET" and wants_xlsx(request):
        return xlsx_download(
            name="referral-commissions",
            title=_("Referral commission"),
            columns=COMMISSION_COLUMNS,
            rows=rows.iterator(chunk_size=1000),
        )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/referrals/home.html",
        {
            "policy": policy,
            "warnings": services.policy_warnings(policy),
            "form": form,
            "page": page,
            "status": status,
            "statuses": ReferralCommission.Status.choices,
            "rewards": list(selectors.rewards(actor=actor)[:20]),
        },
    )


def referral_block(request: HttpRequest, member: Any) -> dict[str, Any]:
    """The member page's referral block: code, link, QR, figures."""
    token = services.referral_token(member)
    url = request.build_absolute_uri(reverse("portal:join") + "?t=" + token) if token else ""
    return {
        "summary": services.member_summary(member),
        "url": url,
        "qr": "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url)).decode() if url else "",
        "referrer": member.referrer,
    }
