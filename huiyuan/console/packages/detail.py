"""A package: its items, validity, use history (undo by a manager) and refund."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.packages.counter import package_rows
from huiyuan.console.packages.forms import RefundForm, UndoForm
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm
from huiyuan.packages import selectors
from huiyuan.packages.models import MemberPackage
from huiyuan.packages.refunds import package_refund, refund_preview
from huiyuan.packages.services import package_use_undo


@login_required
def package_detail(request: HttpRequest, package_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.MEMBER_VIEW)
    try:
        package = selectors.package_get(actor=actor, package_id=package_id)
    except DomainError as exc:
        raise Http404 from exc
    uses = selectors.package_uses(actor=actor, package_id=package.pk)
    undone = {u.reverses_id for u in uses if u.reverses_id}
    refund = getattr(package, "refund", None) if package.status == "refunded" else None
    return render(
        request,
        "console/packages/detail.html",
        {
            "package": package,
            "row": package_rows([package], actor.store_id)[0],
            "uses": [(u, u.pk in undone) for u in uses],
            "refund": refund,
            "quote": refund_preview(package) if package.is_active else None,
            "may_undo": actor.has(Perm.SALE_REVERSE),
            "may_refund": actor.has(Perm.WALLET_REFUND) and package.is_active,
            "may_use": actor.has(Perm.SALE_CREATE) and package.is_active,
            "undo_form": UndoForm(),
            "refund_form": RefundForm(initial={"method": "cash"}),
        },
    )


def _package_or_404(package_id: int) -> MemberPackage:
    package = MemberPackage.objects.filter(pk=package_id).first()
    if package is None:
        raise Http404
    return package


@login_required
@require_POST
def use_undo(request: HttpRequest, package_id: int, use_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.SALE_REVERSE)
    package = _package_or_404(package_id)
    form = UndoForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
        return redirect("console:package_detail", package_id=package.pk)
    try:
        package_use_undo(
            actor=actor,
            use_id=use_id,
            reason=form.cleaned_data["reason"],
            idempotency_key=form.cleaned_data["idempotency_key"] or "",
        )
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The use was undone and given back."))
    return redirect("console:package_detail", package_id=package.pk)


@login_required
@require_POST
def refund(request: HttpRequest, package_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.WALLET_REFUND)
    package = _package_or_404(package_id)
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
        return redirect("console:package_detail", package_id=package.pk)
    try:
        done = package_refund(
            actor=actor,
            package_id=package.pk,
            method=form.cleaned_data["method"],
            reason=form.cleaned_data["reason"],
            idempotency_key=form.cleaned_data["idempotency_key"] or "",
        )
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Refunded %(amount)s; the package is closed.")
            % {"amount": fen_to_yuan_str(done.amount_fen)},
        )
    return redirect("console:package_detail", package_id=package.pk)
