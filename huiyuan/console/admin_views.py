"""Back-office pages: audit log, stores and terminals, staff, API keys, tags, custom fields.

Each view checks the permission itself, lets a form parse the input, calls one service
and renders. A service's refusal (``DomainError``) becomes a form error; nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiyuan.audit.models import AuditEvent
from huiyuan.audit.selectors import (
    AuditFilters,
    AuditNames,
    action_choices,
    action_label,
    actor_display,
    audit_diff,
    audit_event_list,
    subject_label,
)
from huiyuan.console.admin_exports import API_KEY_COLUMNS, AUDIT_COLUMNS, STAFF_COLUMNS
from huiyuan.console.admin_forms import (
    ApiKeyForm,
    AuditFilterForm,
    CustomFieldForm,
    StaffForm,
    StoreForm,
    TagForm,
    TerminalForm,
    add_domain_error,
    staff_fields,
    staff_form_save,
)
from huiyuan.console.auth.staff_views import annotate_signin_state
from huiyuan.console.context import request_actor
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.core.errors import PermissionDenied as DomainPermissionDenied
from huiyuan.core.permissions import ROLE_LABELS, Actor, Perm, Role, require
from huiyuan.members import selectors as member_selectors
from huiyuan.members import services as member_services
from huiyuan.members.models import Member
from huiyuan.stores import selectors as store_selectors
from huiyuan.stores import services as store_services
from huiyuan.stores.api_scopes import SCOPE_LABELS
from huiyuan.stores.models import ApiKey

AUDIT_PAGE_SIZE = 25
LIST_PAGE_SIZE = 50


def _actor(request: HttpRequest, perm: Perm) -> Actor:
    """The acting staff member, refused with 403 unless they hold ``perm``."""
    actor = request_actor(request)
    try:
        require(actor, perm)
    except DomainPermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc
    return actor


def _page(request: HttpRequest, items: Any, size: int) -> Page:
    return Paginator(items, size).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# ------------------------------------------------------------------------- audit log


def _member_ids(actor: Actor, text: str) -> tuple[int, ...]:
    """Members a filter text names: by member number, mobile or name, or by internal id."""
    ids = {m.pk for m in member_selectors.member_lookup(actor=actor, query=text, limit=50)}
    if text.isdigit() and len(text) <= 12:
        ids.add(int(text))
    return tuple(sorted(ids))


@login_required
def audit(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request, Perm.AUDIT_VIEW)
    form = AuditFilterForm(
        request.GET or None,
        stores=store_selectors.store_choices(actor=actor),
        staff=store_selectors.staff_choices(actor=actor),
        actions=action_choices(actor),
    )
    filters = AuditFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        member_text = data["member"].strip()
        filters = AuditFilters(
            member_ids=_member_ids(actor, member_text) if member_text else None,
            staff_id=data["staff"] or None,
            store_id=data["store"] or None,
            action=data["action"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    events = audit_event_list(actor=actor, filters=filters)
    if wants_xlsx(request):
        codes = Member.objects.filter(pk=OuterRef("member_id")).values("code")[:1]
        return xlsx_download(
            name="audit",
            title=_("Audit log"),
            columns=AUDIT_COLUMNS,
            rows=events.annotate(member_code=Subquery(codes)).iterator(chunk_size=1000),
        )
    page = _page(request, events, AUDIT_PAGE_SIZE)
    names = AuditNames(store_selectors.store_names())
    rows = [_audit_row(event, names) for event in page.object_list]
    return render(
        request,
        "console/admin/audit.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": form.is_bound and form.is_valid() and filters != AuditFilters(),
            "query": _query_without_page(request),
        },
    )


DIFF_ROWS_SHOWN = 6


def _audit_row(event: AuditEvent, names: AuditNames) -> dict[str, Any]:
    diff = audit_diff(event, names=names)
    return {
        "event": event,
        "action": action_label(event.action, event.subject_type),
        "actor": actor_display(event.actor_label),
        "subject": subject_label(event.subject_type),
        "diff": diff[:DIFF_ROWS_SHOWN],
        "diff_more": diff[DIFF_ROWS_SHOWN:],
        "tone": _action_tone(event.action),
    }


def _action_tone(action: str) -> str:
    verb = action.rsplit(".", 1)[-1]
    if verb in {"created", "registered", "enabled", "restored", "unfrozen"}:
        return "green"
    if verb in {"revoked", "disabled", "terminated", "cancelled", "frozen", "merged_away"}:
        return "red"
    if verb in {"pii_viewed", "logged_in"}:
        return "secondary"
    return "blue"


# ---------------------------------------------------------------- stores, terminals


@login_required
def stores(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.STORE_VIEW)
    can_manage = actor.has(Perm.STORE_MANAGE)
    form = StoreForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise HttpForbidden
        if form.is_valid():
            try:
                store = store_services.store_create(actor=actor, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Store %(name)s created.") % {"name": store.name})
                return redirect("console:stores")
    return render(
        request,
        "console/admin/stores.html",
        {
            "stores": store_selectors.store_list(actor=actor),
            "form": form,
            "can_manage": can_manage,
            "open_form": request.method == "POST",
        },
    )


@login_required
def store_detail(request: HttpRequest, store_id: int) -> HttpResponse:
    actor = _actor(request, Perm.STORE_VIEW)
    try:
        store = store_selectors.store_get(actor=actor, store_id=store_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    can_add_terminal = actor.has(Perm.APIKEY_MANAGE) and actor.covers_store(store.pk)
    form = TerminalForm(request.POST or None)
    if request.method == "POST":
        if not can_add_terminal:
            raise HttpForbidden
        if form.is_valid():
            try:
                terminal = store_services.terminal_create(
                    actor=actor, store_id=store.pk, **form.cleaned_data
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Terminal %(name)s created.") % {"name": terminal.name})
                return redirect("console:store_detail", store_id=store.pk)
    return render(
        request,
        "console/admin/store_detail.html",
        {
            "store": store,
            "terminals": store_selectors.terminal_list(actor=actor, store_id=store.pk),
            "form": form,
            "can_add_terminal": can_add_terminal,
            "can_manage_keys": actor.has(Perm.APIKEY_MANAGE),
            "open_form": request.method == "POST",
        },
    )


# --------------------------------------------------------------------------- staff


@login_required
def staff(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request, Perm.STAFF_MANAGE)
    form = StaffForm(
        request.POST or None, actor=actor, stores=store_selectors.store_choices(actor=actor)
    )
    if request.method == "POST" and form.is_valid():
        created = staff_form_save(
            form,
            lambda data: store_services.staff_create(
                actor=actor,
                username=data["username"],
                password=data["password"],
                **staff_fields(data),
            ),
        )
        if created is not None:
            messages.success(
                request, _("Staff member %(name)s created.") % {"name": created.display_name}
            )
            return redirect("console:staff")
    if request.method == "GET" and wants_xlsx(request):
        return xlsx_download(
            name="staff",
            title=_("Staff"),
            columns=STAFF_COLUMNS,
            rows=store_selectors.staff_list(actor=actor).iterator(chunk_size=1000),
        )
    page = _page(request, store_selectors.staff_list(actor=actor), LIST_PAGE_SIZE)
    page.object_list = annotate_signin_state(list(page.object_list))  # locks, two-factor
    for person in page.object_list:  # the row's buttons: only for whom the actor manages
        person.can_manage = store_services.staff_manageable(actor, person)  # type: ignore[attr-defined]
    return render(
        request,
        "console/admin/staff.html",
        {
            "page": page,
            "form": form,
            "role_labels": {r.value: ROLE_LABELS[r] for r in Role},
            "open_form": request.method == "POST",
            "me": actor.staff,
            "store_scoped": actor.store_ids is not None,
        },
    )


@login_required
@require_POST
def staff_set_active(request: HttpRequest, staff_id: int) -> HttpResponse:
    actor = _actor(request, Perm.STAFF_MANAGE)
    active = request.POST.get("active") == "1"
    try:
        changed = store_services.staff_set_active(actor=actor, staff_id=staff_id, active=active)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        text = _("%(name)s can log in again.") if active else _("%(name)s can no longer log in.")
        messages.success(request, text % {"name": changed})
    return redirect("console:staff")


# ------------------------------------------------------------------------ API keys


@login_required
def api_keys(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request, Perm.APIKEY_MANAGE)
    terminals = list(store_selectors.terminal_list(actor=actor, active_only=True))
    form = ApiKeyForm(request.POST or None, terminals=terminals)
    if request.method == "GET" and wants_xlsx(request):
        return xlsx_download(
            name="api-keys",
            title=_("API keys"),
            columns=API_KEY_COLUMNS,
            rows=store_selectors.api_key_list(actor=actor).iterator(chunk_size=1000),
        )
    new_key: str | None = None
    new_api_key = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new_api_key, new_key = store_services.api_key_create(
                actor=actor,
                terminal_id=data["terminal"],
                name=data["name"],
                role=data["role"],
                scopes=data["scopes"] or None,  # none chosen: everything the role allows
                rate_limit_per_minute=data["rate_limit_per_minute"] or ApiKey.DEFAULT_RATE_LIMIT,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            # The key is rendered in this response only; it is never stored or redirected.
            form = ApiKeyForm(terminals=terminals)
    page = _page(request, store_selectors.api_key_list(actor=actor), LIST_PAGE_SIZE)
    response = render(
        request,
        "console/admin/api_keys.html",
        {
            "page": page,
            "form": form,
            "terminals": terminals,
            "new_key": new_key,
            "new_api_key": new_api_key,
            "role_labels": {r.value: ROLE_LABELS[r] for r in Role},
            "scope_labels": {s.value: label for s, label in SCOPE_LABELS.items()},
            "open_form": request.method == "POST" and new_key is None,
        },
    )
    if new_key is not None:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_key_revoke(request: HttpRequest, api_key_id: int) -> HttpResponse:
    actor = _actor(request, Perm.APIKEY_MANAGE)
    try:
        revoked = store_services.api_key_revoke(actor=actor, api_key_id=api_key_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Key %(prefix)s revoked: it no longer works.") % {"prefix": revoked.prefix},
        )
    return redirect("console:api_keys")


# ---------------------------------------------------------------- tags, custom fields


@login_required
def tags(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.MEMBER_CONFIGURE)
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tag = member_services.tag_create(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Tag %(name)s created.") % {"name": tag.name})
            return redirect("console:tags")
    return render(
        request,
        "console/admin/tags.html",
        {"tags": member_selectors.tag_list(actor=actor), "form": form},
    )


@login_required
def custom_fields(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.MEMBER_CONFIGURE)
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            definition = member_services.custom_field_create(
                actor=actor,
                key=data["key"].strip(),
                label=data["label"],
                kind=data["kind"],
                choices=form.choice_list(),
                required=data["required"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("Custom field %(label)s created.") % {"label": definition.label}
            )
            return redirect("console:custom_fields")
    return render(
        request,
        "console/admin/custom_fields.html",
        {
            "fields": member_selectors.custom_field_list(actor=actor),
            "form": form,
            "open_form": request.method == "POST",
        },
    )


@login_required
@require_POST
def custom_field_set_active(request: HttpRequest, field_id: int) -> HttpResponse:
    actor = _actor(request, Perm.MEMBER_CONFIGURE)
    active = request.POST.get("active") == "1"
    try:
        definition = member_services.custom_field_set_active(
            actor=actor, field_id=field_id, active=active
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        text = (
            _("%(label)s is shown on archives again.")
            if active
            else _("%(label)s is hidden; recorded values are kept.")
        )
        messages.success(request, text % {"label": definition.label})
    return redirect("console:custom_fields")
