"""The events pages: the outbox newest first with each delivery, one event, a retry.

Owner and head office only (``event.view``; retrying needs ``event.retry``). Payloads hold
ids and amounts, never personal data, so nothing here is masked.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from huiyuan.console.context import request_actor
from huiyuan.console.events.forms import EventFilterForm
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.core.errors import DomainError
from huiyuan.core.errors import PermissionDenied as DomainPermissionDenied
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.events import selectors, services
from huiyuan.events.models import OutboxEvent
from huiyuan.events.names import event_label

PAGE_SIZE = 50
TONES = {"pending": "yellow", "done": "green", "failed": "red"}
EXPORT_COLUMNS: tuple[Column[OutboxEvent], ...] = (
    Column(_l("Event number"), lambda e: e.pk, "number", 10),
    Column(_l("Event"), lambda e: event_label(e.name), width=24),
    Column(_l("Code"), lambda e: e.name, width=24),
    Column(_l("Occurred at"), lambda e: e.occurred_at, "moment", 18),
    Column(_l("Status"), lambda e: e.get_status_display(), width=10),
    Column(_l("Member"), lambda e: e.member_id, "number", 10),
    Column(_l("Attempts"), lambda e: e.attempts, "number", 8),
    Column(_l("Last error"), lambda e: e.last_error, width=40),
)


def _actor(request: HttpRequest, perm: Perm) -> Actor:
    actor = request_actor(request)
    try:
        require(actor, perm)
    except DomainPermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc
    return actor


def _row(event: OutboxEvent) -> dict[str, Any]:
    return {
        "event": event,
        "label": event_label(event.name),
        "tone": TONES.get(event.status, "secondary"),
        "deliveries": [
            {"delivery": d, "tone": TONES.get(d.status, "secondary")}
            for d in event.deliveries.all()
        ],
    }


@login_required
def event_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request, Perm.EVENT_VIEW)
    form = EventFilterForm(request.GET or None)
    filters = selectors.EventFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.EventFilters(
            name=data["name"], status=data["status"], member_id=data["member"]
        )
    events = selectors.event_list(actor=actor, filters=filters)
    if wants_xlsx(request):
        return xlsx_download(
            name="events",
            title=_("Domain events"),
            columns=EXPORT_COLUMNS,
            rows=events.iterator(chunk_size=1000),
        )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/events/list.html",
        {
            "form": form,
            "page": page,
            "rows": [_row(e) for e in page.object_list],
            "filtered": filters != selectors.EventFilters(),
            "query": query.urlencode(),
            "can_retry": actor.has(Perm.EVENT_RETRY),
        },
    )


@login_required
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    actor = _actor(request, Perm.EVENT_VIEW)
    event = selectors.event_get(actor=actor, event_id=event_id)
    if event is None:
        raise Http404
    return render(
        request,
        "console/events/detail.html",
        {
            "row": _row(event),
            "payload": json.dumps(event.payload, ensure_ascii=False, indent=2, sort_keys=True),
            "can_retry": actor.has(Perm.EVENT_RETRY),
        },
    )


@login_required
@require_POST
def event_retry(request: HttpRequest, event_id: int) -> HttpResponse:
    actor = _actor(request, Perm.EVENT_RETRY)
    try:
        services.event_retry(actor=actor, event_id=event_id)
    except DomainPermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc
    except DomainError as exc:
        if exc.code == "event_not_found":
            raise Http404 from exc
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Event #%(id)s is being delivered again.") % {"id": event_id})
    return redirect("console:event_detail", event_id=event_id)
