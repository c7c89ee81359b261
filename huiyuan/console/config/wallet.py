"""Stored value (储值): the prepaid-card policy and recharge packages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.config.forms.wallet import RechargePackageForm, WalletPolicyForm
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm
from huiyuan.core.xlsx import Column
from huiyuan.wallet import selectors as wallet_selectors
from huiyuan.wallet import services as wallet_services
from huiyuan.wallet.models import RechargePackage, WalletPolicy

PACKAGE_COLUMNS: tuple[Column[RechargePackage], ...] = (
    Column(gettext_lazy("Package"), lambda p: p.name, width=16),
    Column(gettext_lazy("Pay"), lambda p: p.pay_fen, "money", 12),
    Column(gettext_lazy("Bonus"), lambda p: p.bonus_fen, "money", 12),
    Column(gettext_lazy("Bonus valid (days)"), lambda p: p.bonus_valid_days, "number", 12),
    Column(
        gettext_lazy("Status"),
        lambda p: _("Offered") if p.is_active else _("Withdrawn"),
        width=8,
    ),
)


def _wallet_page(
    request: HttpRequest,
    *,
    policy_form: WalletPolicyForm | None = None,
    package_form: RechargePackageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    policy = WalletPolicy.current()
    return render(
        request,
        "console/config/wallet.html",
        {
            "policy": policy,
            "policy_form": policy_form
            or WalletPolicyForm(initial=WalletPolicyForm.initial_for(policy)),
            "package_form": package_form or RechargePackageForm(),
            "packages": [
                {
                    "package": p,
                    "pay": fen_to_yuan_str(p.pay_fen),
                    "bonus": fen_to_yuan_str(p.bonus_fen),
                    "bonus_pct": _tenths(p.bonus_fen * 1000 // p.pay_fen) if p.pay_fen else "",
                }
                for p in wallet_selectors.recharge_packages(active_only=False)
            ],
            "limits": {
                "named": fen_to_yuan_str(policy.named_limit_fen),
                "anonymous": fen_to_yuan_str(policy.anonymous_limit_fen),
            },
        },
        status=status,
    )


def _tenths(value: int) -> str:
    """An integer count of tenths as text: 105 → ``10.5``, 100 → ``10``."""
    whole, tenth = divmod(value, 10)
    return f"{whole}.{tenth}" if tenth else str(whole)


@login_required
@require_GET
def wallet_settings(request: HttpRequest) -> HttpResponseBase:
    acting_staff(request, Perm.WALLET_CONFIGURE)
    if wants_xlsx(request):
        packages = wallet_selectors.recharge_packages(active_only=False)
        return xlsx_download(
            name="recharge-packages",
            title=_("Recharge packages"),
            columns=PACKAGE_COLUMNS,
            rows=packages,
        )
    return _wallet_page(request)


@login_required
@require_POST
def wallet_policy(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.WALLET_CONFIGURE)
    form = WalletPolicyForm(request.POST)
    if form.is_valid():
        try:
            wallet_services.wallet_policy_update(actor=actor, **form.changes())
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The stored-value policy has been saved."))
            return redirect("console:config_wallet")
    return _wallet_page(request, policy_form=form)


@login_required
@require_POST
def recharge_package_create(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.WALLET_CONFIGURE)
    form = RechargePackageForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            package = wallet_services.recharge_package_create(
                actor=actor,
                name=data["name"],
                pay_fen=data["pay"],
                bonus_fen=data["bonus"] or 0,
                bonus_valid_days=data["bonus_valid_days"],
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc, aliases={"pay_fen": "pay", "bonus_fen": "bonus"})
        else:
            messages.success(
                request, _("Recharge package %(name)s created.") % {"name": package.name}
            )
            return redirect("console:config_wallet")
    return _wallet_page(request, package_form=form)


@login_required
@require_POST
def recharge_package_set_active(request: HttpRequest, package_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.WALLET_CONFIGURE)
    active = request.POST.get("active") == "1"
    try:
        package = wallet_services.recharge_package_set_active(
            actor=actor, package_id=package_id, active=active
        )
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    else:
        text = (
            _("%(name)s is offered at the counter again.")
            if active
            else _("%(name)s is no longer offered; past recharges keep it.")
        )
        messages.success(request, text % {"name": package.name})
    return redirect("console:config_wallet")


def _yuan(fen: int) -> str:
    """Fen as typed in a yuan field: 50000 → ``500.00``."""
    whole, cents = divmod(fen, 100)
    return f"{whole}.{cents:02d}"


@login_required
def recharge_package_edit(request: HttpRequest, package_id: int) -> HttpResponse:
    """Edit a package, the form filled with its terms; past recharges keep theirs."""
    actor = acting_staff(request, Perm.WALLET_CONFIGURE)
    package = wallet_selectors.recharge_package_get(package_id=package_id)
    if package is None:
        raise Http404(_("Unknown recharge package."))
    initial = {
        "name": package.name,
        "pay": _yuan(package.pay_fen),
        "bonus": _yuan(package.bonus_fen),
        "bonus_valid_days": package.bonus_valid_days,
    }
    form = RechargePackageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = wallet_services.recharge_package_update(
                actor=actor,
                package_id=package.pk,
                name=data["name"],
                pay_fen=data["pay"],
                bonus_fen=data["bonus"] or 0,
                bonus_valid_days=data["bonus_valid_days"],
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc, aliases={"pay_fen": "pay", "bonus_fen": "bonus"})
        else:
            text = (
                _("%(name)s saved.")
                if saved.pk == package.pk
                else _(
                    "%(name)s saved as a new package; recharges already made keep the old terms."
                )
            )
            messages.success(request, text % {"name": saved.name})
            return redirect("console:config_wallet")
    return render(request, "console/config/package_edit.html", {"package": package, "form": form})
