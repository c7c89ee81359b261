"""Points lottery pages (积分抽奖): set up, start and end, draw for a card, the draw log."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from huiyuan.console.context import request_actor
from huiyuan.console.counter.pages import counter_perms, posted_card_text, scan_error
from huiyuan.console.counter.panel import card_panel, find_card
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.gifts.common import or_404, show_error
from huiyuan.console.gifts.forms import DrawForm, LotteryForm
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.core.permissions import Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.gifts import selectors, services
from huiyuan.gifts.models import Draw, Gift, Lottery


def _draw_prize(draw: Draw) -> str:
    return draw.prize.name if draw.prize else _("Thanks for playing")


DRAW_COLUMNS: tuple[Column[Draw], ...] = (
    Column("#", lambda d: d.pk, "number", 8),
    Column(gettext_lazy("Time"), lambda d: d.created_at, "moment", 17),
    Column(gettext_lazy("Member"), lambda d: d.member_id, "number", 10),
    Column(gettext_lazy("Prize"), _draw_prize, width=20),
    Column(gettext_lazy("Seed"), lambda d: d.seed, width=40),
)

# The seed's secret stays out: it is shown on the lottery's page only once it has ended.
LOTTERY_COLUMNS: tuple[Column[Lottery], ...] = (
    Column("#", lambda lottery: lottery.pk, "number", 8),
    Column(gettext_lazy("Lottery"), lambda lottery: lottery.name, width=24),
    Column(gettext_lazy("Points per draw"), lambda lottery: lottery.cost_points, "number", 10),
    Column(
        gettext_lazy("Prizes"),
        lambda lottery: " · ".join(p.name for p in lottery.prizes.all()),
        width=40,
    ),
    Column(gettext_lazy("Status"), lambda lottery: lottery.get_status_display(), width=10),
    Column(gettext_lazy("Created"), lambda lottery: lottery.created_at, "moment", 17),
    Column(gettext_lazy("Ended at"), lambda lottery: lottery.ended_at, "moment", 17),
)


@staff_view
def lottery_list(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    rows = selectors.lottery_list(actor=actor)
    if wants_xlsx(request):
        return xlsx_download(
            name="lotteries",
            title=_("Points lottery"),
            columns=LOTTERY_COLUMNS,
            rows=rows.iterator(chunk_size=500),
        )
    return render(
        request,
        "console/gifts/lotteries.html",
        {"rows": rows[:100], "manage": actor.has(Perm.GIFT_MANAGE)},
    )


@staff_view
def lottery_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.GIFT_MANAGE)
    gifts = list(Gift.objects.filter(status=Gift.Status.ACTIVE).order_by("code"))
    form = LotteryForm(request.POST or None, gifts=gifts)
    if request.method == "POST" and form.is_valid():
        try:
            lottery = services.lottery_create(
                actor=actor,
                name=form.cleaned_data["name"],
                cost_points=form.cleaned_data["cost_points"],
                prizes=[services.PrizeInput(**row) for row in form.prizes()],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Lottery saved as a draft."))
            return redirect("console:lottery_detail", lottery_id=lottery.pk)
    return render(request, "console/gifts/lottery_form.html", {"form": form})


@staff_view
def lottery_detail(request: HttpRequest, lottery_id: int) -> HttpResponseBase:
    """The lottery, its prizes and commitment, the draw form and the draw log."""
    actor = request_actor(request)
    try:
        lottery = selectors.lottery_get(actor=actor, lottery_id=lottery_id)
    except NotFound as exc:
        raise or_404(exc) from exc
    if request.method == "GET" and wants_xlsx(request):
        return xlsx_download(
            name=f"lottery-{lottery.pk}-draws",
            title=lottery.name,
            columns=DRAW_COLUMNS,
            rows=selectors.draw_list(actor=actor, lottery_id=lottery.pk).iterator(chunk_size=1000),
        )
    form = DrawForm(request.POST or None, initial={"card": request.GET.get("card", "")})
    card_text = posted_card_text(request)
    found = find_card(actor, card_text) if card_text else None
    panel = card_panel(found)
    if request.method == "POST" and form.is_valid():
        require(actor, Perm.GIFT_REDEEM)
        if found is None:
            form.add_error("card", _("No card with this number."))
        else:
            try:
                draw = services.lottery_draw(
                    actor=actor,
                    lottery_id=lottery.pk,
                    card_id=found.card.pk,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except DomainError as exc:
                show_error(form, exc)
            else:
                won = draw.prize.name if draw.prize else _("Thanks for playing")
                messages.success(request, _("Drawn: %(prize)s.") % {"prize": won})
                url = reverse("console:lottery_detail", args=[lottery.pk])
                return HttpResponseRedirect(f"{url}?card={found.card.number}")
    draws = Paginator(selectors.draw_list(actor=actor, lottery_id=lottery.pk), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "console/gifts/lottery.html",
        {
            "lottery": lottery,
            "prizes": list(lottery.prizes.all()),
            "form": form,
            "panel": panel,
            "may": counter_perms(actor),
            "scan_error": scan_error(card_text, panel, form),
            "draws": draws,
            "manage": actor.has(Perm.GIFT_MANAGE),
            "may_draw": actor.has(Perm.GIFT_REDEEM) and lottery.status == Lottery.Status.ACTIVE,
        },
    )


@staff_view
@require_POST
def lottery_status(request: HttpRequest, lottery_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        services.lottery_set_status(
            actor=actor, lottery_id=lottery_id, status=request.POST.get("status", "")
        )
    except NotFound as exc:
        raise or_404(exc) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Lottery status changed."))
    return redirect("console:lottery_detail", lottery_id=lottery_id)


@staff_view
def draw_verify(request: HttpRequest, draw_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        draw = selectors.draw_get(actor=actor, draw_id=draw_id)
    except NotFound as exc:
        raise or_404(exc) from exc
    check = services.draw_verify(draw)
    return render(request, "console/gifts/draw_verify.html", {"draw": draw, "check": check})
