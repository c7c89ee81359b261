"""Redemption records (兑换记录): filter, hand over (领取), cancel."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from huiyuan.console.context import request_actor
from huiyuan.console.counter.pages import safe_next
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.gifts.common import or_404
from huiyuan.console.gifts.forms import CancelForm
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.core.permissions import Perm
from huiyuan.core.xlsx import Column
from huiyuan.gifts import selectors, services
from huiyuan.gifts.models import Redemption

EXPORT_COLUMNS: tuple[Column[Redemption], ...] = (
    Column(_l("Redemption number"), lambda r: r.pk, "number", 10),
    Column(_l("Redeemed at"), lambda r: r.created_at, "moment", 18),
    Column(_l("Gift"), lambda r: r.gift.name, width=20),
    Column(_l("Quantity"), lambda r: r.quantity, "number", 8),
    Column(_l("Member"), lambda r: r.member_id, "number", 10),
    Column(_l("Channel"), lambda r: r.get_channel_display(), width=10),
    Column(_l("Points"), lambda r: r.points, "number", 10),
    Column(_l("Cash"), lambda r: r.cash_fen, "money", 10),
    Column(_l("Status"), lambda r: r.get_status_display(), width=10),
    Column(_l("Picked up at"), lambda r: r.picked_up_at, "moment", 18),
    Column(_l("Cancel reason"), lambda r: r.cancel_reason, width=24),
)


def _back(request: HttpRequest) -> HttpResponse:
    target = safe_next(request)
    return HttpResponseRedirect(target) if target else redirect("console:gift_redemptions")


@staff_view
def redemption_list(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    status = request.GET.get("status", "")
    if status not in Redemption.Status.values:
        status = ""
    channel = request.GET.get("channel", "")
    if channel not in Redemption.Channel.values:
        channel = ""
    rows = selectors.redemption_list(
        actor=actor, filters=selectors.RedemptionFilters(status=status, channel=channel)
    )
    if wants_xlsx(request):
        return xlsx_download(
            name="gift-redemptions",
            title=_("Redemption records"),
            columns=EXPORT_COLUMNS,
            rows=rows.iterator(chunk_size=1000),
        )
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "console/gifts/redemptions.html",
        {
            "page": page,
            "status": status,
            "channel": channel,
            "statuses": Redemption.Status.choices,
            "channels": Redemption.Channel.choices,
            "may_redeem": actor.has(Perm.GIFT_REDEEM),
            "cancel_form": CancelForm(),
        },
    )


@staff_view
@require_POST
def redemption_pick_up(request: HttpRequest, redemption_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        services.redemption_pick_up(actor=actor, redemption_id=redemption_id)
    except NotFound as exc:
        raise or_404(exc) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Gift handed over."))
    return _back(request)


@staff_view
@require_POST
def redemption_cancel(request: HttpRequest, redemption_id: int) -> HttpResponse:
    actor = request_actor(request)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
        return _back(request)
    try:
        row = services.redemption_cancel(
            actor=actor,
            redemption_id=redemption_id,
            reason=form.cleaned_data["reason"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except NotFound as exc:
        raise or_404(exc) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Redemption cancelled: %(points)s points and the stock are back.")
            % {"points": f"{row.points:,}"},
        )
    return _back(request)
