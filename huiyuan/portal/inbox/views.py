"""Member portal: the in-app inbox (站内信) of the care app's inbox channel."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from huiyuan.care import selectors
from huiyuan.portal.auth import member_required


@member_required
def index(request: HttpRequest) -> HttpResponse:
    member_id = request.member.pk  # type: ignore[attr-defined]
    page = Paginator(selectors.inbox_for_member(member_id), 20).get_page(request.GET.get("page"))
    unread = {m.pk for m in page if m.read_at is None}
    response = render(request, "portal/inbox/index.html", {"page": page, "unread": unread})
    # Shown: what was on this page is read now (the dots stay for this one view).
    if unread:
        for pk in unread:
            selectors.inbox_mark_read(member_id, pk)
    return response


@member_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    selectors.inbox_mark_read(request.member.pk)  # type: ignore[attr-defined]
    return redirect("portal:inbox:index")
