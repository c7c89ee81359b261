"""Moving a member to another tier by hand."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiyuan.console.context import request_actor
from huiyuan.console.counter.forms import TierMoveForm
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, PermissionDenied
from huiyuan.core.permissions import Perm, require
from huiyuan.members import selectors as member_selectors
from huiyuan.tiers import selectors as tier_selectors
from huiyuan.tiers import services as tier_services


@staff_view
@require_POST
def tier_move(request: HttpRequest, member_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.TIER_MOVE)
    member = member_selectors.member_get(actor=actor, member_id=member_id)
    if member is None:
        raise Http404(_("Member not found."))
    form = TierMoveForm(request.POST, tiers=tier_selectors.tier_list())
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        try:
            tier = tier_services.tier_move(
                actor=actor,
                member_id=member.pk,
                tier_id=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
                protected_until=form.cleaned_data["protected_until"],
            )
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Moved to tier %(tier)s.") % {"tier": tier.name})
    return redirect("console:member_detail", member_id=member.pk)
