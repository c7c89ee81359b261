"""Saved filters of list pages: save the filter shown under a name, apply it in one click,
delete it. Each staff member sees only their own. Saving a name again replaces its filter.

A list page opts in by its URL name in ``PAGES`` and ``{% saved_filters "member_list" %}``
in its template (``console/templatetags/savedfilters.py``)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiyuan.console.models import SavedFilter
from huiyuan.console.views import staff_view

PAGES = frozenset({"member_list", "catalog_products", "events", "followup_list", "coupon_list"})
NOT_KEPT = frozenset({"page", "export", "reveal", "csrfmiddlewaretoken"})
MAX_PER_PAGE = 20
MAX_NAME = 30
MAX_QUERY = 1000


def clean_query(query: str) -> str:
    """The filter part of a query string: no paging, no export switches, no empty values."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k not in NOT_KEPT]
    return urlencode(pairs)


def saved_filters_of(staff_id: int, page: str) -> list[SavedFilter]:
    return list(SavedFilter.objects.filter(staff_id=staff_id, page=page).order_by("name"))


def _staff_id(request: HttpRequest) -> int:
    return int(request.user.pk or 0)  # staff_view let only a signed-in staff member in


def _back(page: str, query: str = "") -> HttpResponse:
    url = reverse(f"console:{page}")
    return redirect(f"{url}?{query}" if query else url)


@staff_view
@require_POST
def saved_filter_save(request: HttpRequest) -> HttpResponse:
    page = str(request.POST.get("page", ""))
    if page not in PAGES:
        raise Http404
    name = " ".join(str(request.POST.get("name", "")).split())
    query = clean_query(str(request.POST.get("query", "")))
    if not name or len(name) > MAX_NAME:
        messages.error(request, _("Give the filter a name of 1 to 30 characters."))
    elif not query:
        messages.error(request, _("Choose a filter first, then save it."))
    elif len(query) > MAX_QUERY:
        messages.error(request, _("This filter is too long to save."))
    else:
        rows = SavedFilter.objects.filter(staff_id=_staff_id(request), page=page)
        if not rows.filter(name=name).exists() and rows.count() >= MAX_PER_PAGE:
            messages.error(request, _("At most 20 saved filters per list: delete one first."))
        else:
            SavedFilter.objects.update_or_create(
                staff_id=_staff_id(request), page=page, name=name, defaults={"query": query}
            )
            messages.success(request, _("Filter “%(name)s” saved.") % {"name": name})
    return _back(page, query)


@staff_view
@require_POST
def saved_filter_delete(request: HttpRequest, filter_id: int) -> HttpResponse:
    saved = SavedFilter.objects.filter(pk=filter_id, staff_id=_staff_id(request)).first()
    if saved is None:
        raise Http404
    saved.delete()
    messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
    return _back(saved.page)
