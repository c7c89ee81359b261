"""Gift catalog pages (积分礼品): list, add, edit, delist, restock, movement history."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from huiyuan.console.context import request_actor
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.gifts.common import or_404, show_error
from huiyuan.console.gifts.forms import GiftCreateForm, GiftForm, GiftSearchForm, RestockForm
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.gifts import selectors, services
from huiyuan.gifts.models import Gift, GiftMovement

PAGE_SIZE = 25
EXPORT_COLUMNS: tuple[Column[Gift], ...] = (
    Column(_l("Gift code"), lambda g: g.code, width=14),
    Column(_l("Gift name"), lambda g: g.name, width=22),
    Column(_l("Points price"), lambda g: g.points_price, "number", 10),
    Column(_l("Cash top-up"), lambda g: g.cash_fen or None, "money", 10),
    Column(_l("Gift stock"), lambda g: g.stock, "number", 8),
    Column(_l("Status"), lambda g: g.get_status_display(), width=8),
    Column(_l("Description"), lambda g: g.description, width=30),
)


def _input(data: dict[str, object]) -> services.GiftInput:
    return services.GiftInput(
        code=str(data["code"]),
        name=str(data["name"]),
        points_price=int(data["points_price"]),  # type: ignore[call-overload]
        cash_fen=int(data.get("cash") or 0),  # type: ignore[call-overload]
        description=str(data.get("description") or ""),
    )


MOVEMENT_COLUMNS: tuple[Column[GiftMovement], ...] = (
    Column(_l("Time"), lambda m: m.created_at, "moment", 17),
    Column(_l("Movement"), lambda m: m.get_kind_display(), width=12),
    Column(_l("Redemption number"), lambda m: m.redemption_id, "number", 10),
    Column(_l("Change"), lambda m: m.delta, "number", 8),
    Column(_l("Stock after"), lambda m: m.stock_after, "number", 8),
    Column(_l("By"), lambda m: m.operator.display_name if m.operator else "", width=12),
    Column(_l("Reason"), lambda m: m.reason, width=24),
)


@staff_view
def gift_list(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    form = GiftSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.gift_list(
        actor=actor, query=filters.get("q") or "", status=filters.get("status") or ""
    )
    if wants_xlsx(request):
        return xlsx_download(
            name="gifts", title=_("Gift catalog"), columns=EXPORT_COLUMNS, rows=rows.iterator()
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/gifts/gifts.html",
        {"form": form, "page": page, "manage": actor.has(Perm.GIFT_MANAGE)},
    )


@staff_view
def gift_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.GIFT_MANAGE)
    form = GiftCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            gift = services.gift_create(
                actor=actor,
                data=_input(form.cleaned_data),
                stock=form.cleaned_data["stock"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Gift %(name)s added.") % {"name": gift.name})
            return redirect("console:gift_detail", gift_id=gift.pk)
    return render(request, "console/gifts/gift_form.html", {"form": form, "gift": None})


@staff_view
def gift_edit(request: HttpRequest, gift_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.GIFT_MANAGE)
    try:
        gift = selectors.gift_get(actor=actor, gift_id=gift_id)
    except NotFound as exc:
        raise or_404(exc) from exc
    initial = {
        "code": gift.code,
        "name": gift.name,
        "points_price": gift.points_price,
        "cash": fen_to_yuan_str(gift.cash_fen).lstrip("¥").replace(",", "")
        if gift.cash_fen
        else "",
        "description": gift.description,
    }
    form = GiftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.gift_update(
                actor=actor,
                gift_id=gift.pk,
                data=_input(form.cleaned_data),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Gift saved."))
            return redirect("console:gift_detail", gift_id=gift.pk)
    return render(request, "console/gifts/gift_form.html", {"form": form, "gift": gift})


@staff_view
def gift_detail(request: HttpRequest, gift_id: int) -> HttpResponseBase:
    """The gift, its stock movements (出入库流水) and the restock form."""
    actor = request_actor(request)
    try:
        gift = selectors.gift_get(actor=actor, gift_id=gift_id)
    except NotFound as exc:
        raise or_404(exc) from exc
    manage = actor.has(Perm.GIFT_MANAGE)
    form = RestockForm(request.POST or None)
    if request.method == "POST":
        require(actor, Perm.GIFT_MANAGE)
        if form.is_valid():
            try:
                services.gift_restock(
                    actor=actor,
                    gift_id=gift.pk,
                    delta=form.cleaned_data["delta"],
                    reason=form.cleaned_data["reason"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except DomainError as exc:
                show_error(form, exc)
            else:
                messages.success(request, _("Stock updated."))
                return redirect("console:gift_detail", gift_id=gift.pk)
    rows = selectors.gift_movements(actor=actor, gift_id=gift.pk)
    if request.method == "GET" and wants_xlsx(request):
        return xlsx_download(
            name=f"gift-{gift.code}-stock",
            title=gift.name,
            columns=MOVEMENT_COLUMNS,
            rows=rows.iterator(chunk_size=1000),
        )
    movements = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "console/gifts/gift_detail.html",
        {"gift": gift, "form": form, "movements": movements, "manage": manage},
    )


@staff_view
@require_POST
def gift_status(request: HttpRequest, gift_id: int) -> HttpResponse:
    actor = request_actor(request)
    status = request.POST.get("status", "")
    try:
        gift = services.gift_set_status(actor=actor, gift_id=gift_id, status=status)
    except NotFound as exc:
        raise or_404(exc) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("console:gift_detail", gift_id=gift_id)
    if gift.status == Gift.Status.DELISTED:
        messages.success(request, _("Gift delisted."))
    else:
        messages.success(request, _("Gift back on offer."))
    return redirect("console:gift_detail", gift_id=gift_id)
