"""Batch gift distribution (礼品派发) to a member list, with its progress."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from huiyuan.console.context import request_actor
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.gifts.common import or_404, show_error
from huiyuan.console.gifts.forms import DistributionForm
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.core.permissions import Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.gifts import selectors, services
from huiyuan.gifts.models import Distribution, Gift

RUN_SECONDS = 5.0
EXPORT_COLUMNS: tuple[Column[Distribution], ...] = (
    Column("#", lambda b: b.pk, "number", 8),
    Column(gettext_lazy("Gift"), lambda b: b.gift.name, width=20),
    Column(gettext_lazy("Reason"), lambda b: b.reason, width=24),
    Column(gettext_lazy("Members"), lambda b: b.total, "number", 10),
    Column(gettext_lazy("Given"), lambda b: b.given, "number", 10),
    Column(gettext_lazy("Skipped"), lambda b: b.skipped, "number", 10),
    Column(gettext_lazy("Status"), lambda b: b.get_status_display(), width=10),
    Column(gettext_lazy("Created"), lambda b: b.created_at, "moment", 17),
    Column(gettext_lazy("Finished at"), lambda b: b.finished_at, "moment", 17),
)


@staff_view
def distribution_list(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    require(actor, Perm.GIFT_MANAGE)
    if request.method == "GET" and wants_xlsx(request):
        return xlsx_download(
            name="gift-distributions",
            title=_("Gift distribution"),
            columns=EXPORT_COLUMNS,
            rows=selectors.distribution_list(actor=actor).iterator(chunk_size=1000),
        )
    gifts = list(Gift.objects.filter(status=Gift.Status.ACTIVE).order_by("code"))
    form = DistributionForm(request.POST or None, gifts=gifts)
    if request.method == "POST" and form.is_valid():
        keys = form.cleaned_data["members"]
        ids, missing = selectors.member_ids_by_keys(keys)
        if missing:
            form.add_error(
                "members",
                _("No member found for: %(keys)s") % {"keys": "、".join(missing[:10])},
            )
        else:
            try:
                batch = services.distribution_create(
                    actor=actor,
                    gift_id=form.cleaned_data["gift"],
                    member_ids=ids,
                    reason=form.cleaned_data["reason"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
                services.distribution_run(
                    actor=actor, distribution_id=batch.pk, max_seconds=RUN_SECONDS
                )
            except DomainError as exc:
                show_error(form, exc)
            else:
                return redirect("console:gift_distribution", distribution_id=batch.pk)
    return render(
        request,
        "console/gifts/distributions.html",
        {"form": form, "rows": selectors.distribution_list(actor=actor)[:50]},
    )


@staff_view
def distribution_detail(request: HttpRequest, distribution_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.GIFT_MANAGE)
    try:
        batch = selectors.distribution_get(actor=actor, distribution_id=distribution_id)
    except NotFound as exc:
        raise or_404(exc) from exc
    return render(request, "console/gifts/distribution.html", {"batch": batch})


@staff_view
@require_POST
def distribution_run(request: HttpRequest, distribution_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        services.distribution_run(
            actor=actor, distribution_id=distribution_id, max_seconds=RUN_SECONDS
        )
    except NotFound as exc:
        raise or_404(exc) from exc
    messages.success(request, _("Distribution continued."))
    return redirect("console:gift_distribution", distribution_id=distribution_id)
