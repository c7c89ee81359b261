"""Tiers (等级), the tier policy, and evaluating tiers now."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.config.forms.tiers import TierEditForm, TierForm, TierPolicyForm
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.core.clock import local_today
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm
from huiyuan.core.xlsx import Column
from huiyuan.members import selectors as member_selectors
from huiyuan.tiers import selectors as tier_selectors
from huiyuan.tiers import services as tier_services
from huiyuan.tiers import versions as tier_versions
from huiyuan.tiers.models import MemberTier, Tier, TierPolicy

# One row of the page (``_tiers_page``): thresholds as shown (yuan or points by the basis).
EXPORT_COLUMNS: tuple[Column[dict], ...] = (
    Column(gettext_lazy("Level"), lambda r: r["tier"].level, "number", 6),
    Column(gettext_lazy("Tier"), lambda r: r["tier"].name, width=12),
    Column(gettext_lazy("Code"), lambda r: r["tier"].code, width=10),
    Column(gettext_lazy("Threshold"), lambda r: r["threshold"], width=12),
    Column(gettext_lazy("Retention"), lambda r: r["retention"], width=12),
    Column(gettext_lazy("Discount"), lambda r: r["discount"], width=10),
    Column(gettext_lazy("Member count"), lambda r: r["members"], "number", 10),
)


def _tiers_page(
    request: HttpRequest, form: TierForm, policy_form: TierPolicyForm | None = None
) -> HttpResponseBase:
    counts = dict(
        MemberTier.objects.values("tier_id").annotate(n=Count("id")).values_list("tier_id", "n")
    )
    tiers = tier_selectors.tier_list()  # the terms in force today
    today = local_today()
    if tiers:  # a member never moved is at the lowest tier (tiers.services.current_tier)
        counts[tiers[0].pk] = counts.get(tiers[0].pk, 0) + member_selectors.members_unranked()
    rows = [
        {
            "tier": t,
            "members": counts.get(t.pk, 0),
            "threshold": _tier_amount(t, t.threshold),
            "retention": _tier_amount(t, t.retention),
            "discount": _zhe(t.discount_permille),
            "category_discounts": [
                f"{code} {_zhe(permille)}" for code, permille in t.category_discounts.items()
            ],
            "privileges": [p.strip() for p in t.privileges.splitlines() if p.strip()],
            "scheduled": [
                v["effective_from"]
                for v in tier_versions.tier_versions(t, today)
                if v["state"] == "scheduled"
            ],
        }
        for t in tiers
    ]
    if request.method == "GET" and wants_xlsx(request):
        return xlsx_download(
            name="tiers", title=_("Member tiers"), columns=EXPORT_COLUMNS, rows=rows
        )
    policy_form = policy_form or TierPolicyForm(
        initial=TierPolicyForm.initial_for(TierPolicy.current())
    )
    return render(
        request,
        "console/config/tiers.html",
        {
            "rows": rows,
            "form": form,
            "policy_form": policy_form,
            "open_form": request.method == "POST" and not policy_form.is_bound,
        },
    )


def _tier_amount(tier: Tier, value: int) -> str:
    return fen_to_yuan_str(value) if tier.basis == Tier.Basis.SPEND else f"{value:,}"


def _zhe(permille: int) -> str:
    """950 → 9.5折, 880 → 8.8折, 1000 → no discount."""
    if permille >= 1000:
        return _("No discount")
    whole, rest = divmod(permille, 100)
    text = f"{whole}.{rest:02d}".rstrip("0").rstrip(".")
    return _("%(zhe)s折") % {"zhe": text}


@login_required
def tiers(request: HttpRequest) -> HttpResponseBase:
    actor = acting_staff(request, Perm.TIER_CONFIGURE)
    existing = list(Tier.objects.all())
    form = TierForm(request.POST or None, tiers=existing)
    if request.method == "POST" and form.is_valid():
        try:
            tier = tier_services.tier_create(actor=actor, **form.tier_fields())
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        except IntegrityError:  # a concurrent create took the code or level
            form.add_error(None, _("A tier with this code or level exists already."))
        else:
            messages.success(request, _("Tier %(name)s created.") % {"name": tier.name})
            return redirect("console:config_tiers")
    return _tiers_page(request, form)


@login_required
@require_POST
def tier_policy(request: HttpRequest) -> HttpResponseBase:
    actor = acting_staff(request, Perm.TIER_CONFIGURE)
    policy_form = TierPolicyForm(request.POST)
    if policy_form.is_valid():
        try:
            tier_services.tier_policy_update(actor=actor, **policy_form.cleaned_data)
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(policy_form, exc)
        else:
            messages.success(request, _("Tier policy saved."))
            return redirect("console:config_tiers")
    return _tiers_page(request, TierForm(tiers=list(Tier.objects.all())), policy_form)


@login_required
@require_POST
def tiers_evaluate(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.TIER_CONFIGURE)
    try:
        result = tier_services.tiers_evaluate_run(actor=actor)
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Period evaluation done: %(n)s members moved down.") % {"n": result["downgraded"]},
        )
    return redirect("console:config_tiers")


def _version_row(tier: Tier, version: dict[str, object]) -> dict[str, object]:
    """A version of a tier's terms, in words and yuan."""
    terms = dict(version["terms"])  # type: ignore[call-overload]
    shown = Tier(**{k: v for k, v in terms.items() if k in tier_versions.TERM_FIELDS})
    return {
        "effective_from": version["effective_from"],
        "state": version["state"],
        "basis": shown.get_basis_display(),
        "threshold": _tier_amount(shown, shown.threshold),
        "retention": _tier_amount(shown, shown.retention),
        "window_days": shown.window_days,
        "discount": _zhe(shown.discount_permille),
        "category_discounts": [
            f"{code} {_zhe(permille)}" for code, permille in shown.category_discounts.items()
        ],
        "points_multiplier_pct": shown.points_multiplier_pct,
    }


@login_required
def tier_edit(request: HttpRequest, tier_id: int) -> HttpResponse:
    """Edit a tier: the form holds its terms in force today; new terms apply from a date."""
    actor = acting_staff(request, Perm.TIER_CONFIGURE)
    tier = tier_selectors.tier_get(tier_id=tier_id)
    if tier is None:
        raise Http404(_("Unknown tier."))
    today = local_today()
    form = TierEditForm(request.POST or None, initial=TierEditForm.initial_for(tier, today))
    if request.method == "POST" and form.is_valid():
        try:
            tier_services.tier_update(actor=actor, tier_id=tier.pk, **form.tier_changes())
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("Tier %(name)s saved.") % {"name": form.cleaned_data["name"]}
            )
            return redirect("console:config_tier_edit", tier_id=tier.pk)
    return render(
        request,
        "console/config/tier_edit.html",
        {
            "tier": tier,
            "form": form,
            "versions": [_version_row(tier, v) for v in tier_versions.tier_versions(tier, today)],
        },
    )
