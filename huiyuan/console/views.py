"""Views of the staff console: parse the request, call one service or selector, render.

Every view requires a logged-in staff member and checks the permission itself with
``require``; a refusal renders the 403 page. A service's ``DomainError`` is shown on the
form or as a message, and nothing is written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

import xlsxwriter
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from huiyuan.audit.models import AuditEvent
from huiyuan.audit.selectors import AuditNames, action_label, actor_display, audit_diff
from huiyuan.cards import selectors as card_selectors
from huiyuan.console.context import SESSION_STORE_KEY, request_actor, switchable_stores
from huiyuan.console.forms import (
    FreezeForm,
    MemberFilterForm,
    MemberForm,
    MergeForm,
    PasswordChangeForm,
    ReasonForm,
    add_domain_error,
)
from huiyuan.core.errors import DomainError, PermissionDenied
from huiyuan.core.permissions import ROLE_LABELS, Actor, Perm, Role, require
from huiyuan.members import selectors, services
from huiyuan.members.models import CustomField, Member
from huiyuan.members.pii_exports import member_export_reveal
from huiyuan.stores import services as store_services
from huiyuan.stores.models import Staff, Store

View = Callable[..., HttpResponseBase]


def staff_view(view: View) -> View:
    """Require a logged-in staff member; turn a permission refusal into the 403 page."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return forbidden(request, str(exc.message))
        except DjangoPermissionDenied:
            return forbidden(request, _("You do not have permission to do this."))

    return wrapper


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "console/403.html", {"message": message}, status=403)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# ----------------------------------------------------------------------------- auth
# Login, the second factor and logout: huiyuan/console/auth/.


@staff_view
def password_change(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        staff = request.user
        assert isinstance(staff, Staff)
        try:
            store_services.staff_change_password(
                actor=actor,
                staff=staff,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, str(exc.message))
        else:
            update_session_auth_hash(request, staff)
            messages.success(request, _("Your password has been changed."))
            return redirect("console:dashboard")
    return render(request, "console/password_change.html", {"form": form})


# The store switcher's value for "every store" (head-office roles only).
ALL_STORES = "all"


@staff_view
@require_POST
def switch_store(request: HttpRequest) -> HttpResponse:
    staff = request.user
    assert isinstance(staff, Staff)
    next_url = _safe_next(request, reverse("console:dashboard"))
    if request.POST.get("store_id") == ALL_STORES and staff.is_chain_wide:
        request.session.pop(SESSION_STORE_KEY, None)
        messages.info(request, _("You are now working across all stores."))
        return HttpResponseRedirect(next_url)
    try:
        store_id = int(request.POST.get("store_id", ""))
    except ValueError:
        store_id = 0
    store = next((s for s in switchable_stores(staff) if s.pk == store_id), None)
    if store is None:
        raise PermissionDenied(_("This store is outside your scope."))
    request.session[SESSION_STORE_KEY] = store.pk
    messages.info(request, _("You are now working at %(store)s.") % {"store": store.name})
    return HttpResponseRedirect(next_url)


# ------------------------------------------------------------------------ dashboard


@staff_view
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.DASHBOARD_VIEW)
    stats = selectors.member_stats(actor=actor, days=30)
    channel_labels = dict(Member.Channel.choices)
    chart = {
        "days": [d.strftime("%m-%d") for d, _n in stats.by_day],
        "joined": [n for _d, n in stats.by_day],
        "channels": [
            {
                "name": str(channel_labels.get(str(row["channel"]), row["channel"])),
                "value": row["total"],
            }
            for row in stats.by_channel
        ],
    }
    return render(
        request,
        "console/dashboard.html",
        {
            "stats": stats,
            "chart": chart,
            "joined_30d": sum(n for _d, n in stats.by_day),
        },
    )


# ----------------------------------------------------------------------- member look-up


@staff_view
@require_POST
def member_search(request: HttpRequest) -> HttpResponse:
    """The top bar's live results (an htmx partial). POST: a mobile or ID number typed into
    the box stays out of URLs and so out of access logs."""
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    query = request.POST.get("q", "").strip()[:50]
    results = selectors.member_lookup(actor=actor, query=query, limit=8) if query else []
    return render(
        request,
        "console/members/search.html#results",
        {"results": results, "query": query},
    )


@staff_view
@require_POST
def member_go(request: HttpRequest) -> HttpResponse:
    """Enter in the search box: open the one member found, else list the matches (POST, as
    the live search)."""
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    query = request.POST.get("q", "").strip()[:50]
    list_url = reverse("console:member_list")
    if not query:
        return redirect(list_url)
    found = selectors.member_lookup(actor=actor, query=query, limit=2)
    if len(found) == 1:
        return redirect("console:member_detail", member_id=found[0].pk)
    exact = [m for m in found if m.code == query.replace(" ", "")]
    if len(exact) == 1:
        return redirect("console:member_detail", member_id=exact[0].pk)
    return HttpResponseRedirect(f"{list_url}?{urlencode({'q': query})}")


# -------------------------------------------------------------------------- members

PAGE_SIZE = 25


@staff_view
@require_GET
def member_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    form = MemberFilterForm(request.GET or None, actor=actor)
    members = selectors.member_list(actor=actor, filters=form.to_filters())
    page = Paginator(
        members.select_related("tier_state__tier").prefetch_related("tags"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    page.object_list = selectors.member_mask(actor, page.object_list)
    money = card_selectors.members_money(actor=actor, member_ids=[m.pk for m in page.object_list])
    for member in page.object_list:
        member.money = money.get(member.pk, {})  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/members/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "lowest_tier": form.lowest_tier,
        },
    )


EXPORT_COLUMNS = (
    (gettext_lazy("Member number"), 14),
    (gettext_lazy("Name"), 12),
    (gettext_lazy("Gender"), 6),
    (gettext_lazy("Mobile"), 14),
    (gettext_lazy("Birthday"), 12),
    (gettext_lazy("Birthday calendar"), 8),
    (gettext_lazy("ID number"), 20),
    (gettext_lazy("Region"), 14),
    (gettext_lazy("Occupation"), 12),
    (gettext_lazy("E-mail"), 22),
    (gettext_lazy("Joining store"), 14),
    (gettext_lazy("Channel"), 10),
    (gettext_lazy("Status"), 8),
    (gettext_lazy("Frozen"), 8),
    (gettext_lazy("Tags"), 20),
    (gettext_lazy("Joined at"), 18),
)


def _export_row(member: Member, *, reveal: bool = False) -> list[str]:
    frozen = []
    if member.earn_frozen:
        frozen.append(_("earning"))
    if member.spend_frozen:
        frozen.append(_("spending"))
    return [
        member.code,
        member.name,
        str(member.get_gender_display()),
        # Masked unless the viewer may see personal data and asked for it (audited).
        member.mobile if reveal else member.mobile_masked,
        member.birthday.isoformat() if member.birthday else "",
        str(member.get_birthday_calendar_display()) if member.birthday else "",
        member.id_number if reveal else member.id_number_masked,
        member.region,
        member.occupation,
        member.email,
        member.home_store.name,
        str(member.get_channel_display()),
        str(member.get_status_display()),
        "、".join(frozen),
        "、".join(t.name for t in member.tags.all()),
        timezone.localtime(member.joined_at).strftime("%Y-%m-%d %H:%M"),
    ]


@staff_view
@require_GET
def member_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list as an Excel file, written row by row to a temporary file."""
    actor = request_actor(request)
    require(actor, Perm.MEMBER_EXPORT)
    form = MemberFilterForm(request.GET or None, actor=actor)
    # Only the actor's stores' members: an export never carries another store's archive.
    members = selectors.member_list(
        actor=actor, filters=form.to_filters(), exact_elsewhere=False
    ).prefetch_related("tags")
    reveal = request.GET.get("reveal") == "1"
    if reveal:
        query = request.GET.copy()
        query.pop("reveal", None)
        member_export_reveal(actor=actor, count=members.count(), filters=query.urlencode())
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="huiyuan-export-")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "in_memory": False})
        sheet = workbook.add_worksheet(_("Members"))
        header = workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
        for col, (title, width) in enumerate(EXPORT_COLUMNS):
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, str(title), header)
        sheet.freeze_panes(1, 0)
        for row, member in enumerate(members.iterator(chunk_size=1000), start=1):
            for col, value in enumerate(_export_row(member, reveal=reveal)):
                sheet.write_string(row, col, value)
        workbook.close()
        stream = open(path, "rb")  # FileResponse closes it
    finally:
        os.unlink(path)  # the open handle keeps the data until the response is sent
    filename = f"members-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(stream, as_attachment=True, filename=filename)


def _register_options(actor: Actor) -> tuple[str, bool]:
    """The channel a registration comes through, and whether staff pick the store."""
    if actor.role == Role.CALL_CENTER:
        return Member.Channel.CALL_CENTER, True
    return Member.Channel.STORE, actor.store_ids is None or actor.store_id is None


@staff_view
def member_register(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.MEMBER_CREATE)
    channel, pick_store = _register_options(actor)
    initial: dict[str, Any] = (
        {"store": actor.store_id} if pick_store and channel == Member.Channel.STORE else {}
    )
    offered = selectors.search_text(request.GET.get("mobile", ""))[:11]
    if offered.isdigit():  # the counter's "register a new member" for a scanned mobile
        initial["mobile"] = offered
    form = MemberForm(request.POST or None, pick_store=pick_store, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_register(
                actor=actor,
                data=form.to_input(),
                channel=channel,
                store_id=form.chosen_store_id,
            )
        except DomainError as exc:
            if isinstance(exc, PermissionDenied) and exc.code != "store_forbidden":
                raise
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Member %(name)s registered, member number %(code)s.")
                % {"name": member.name, "code": member.code},
            )
            return redirect("console:member_detail", member_id=member.pk)
    store = Store.objects.filter(pk=actor.store_id).first() if actor.store_id else None
    return render(
        request,
        "console/members/form.html",
        {
            "form": form,
            "member": None,
            "channel_label": Member.Channel(channel).label,
            "register_store": None if pick_store else store,
        },
    )


def _member_or_404(actor: Actor, member_id: int) -> Member:
    member = selectors.member_get(actor=actor, member_id=member_id)
    if member is None:
        raise Http404(_("Member not found."))
    return member


@staff_view
def member_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.MEMBER_EDIT)
    member = _member_or_404(actor, member_id)
    form = MemberForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(actor=actor, member_id=member.pk, changes=form.to_changes())
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The member's profile has been saved."))
            return redirect("console:member_detail", member_id=member.pk)
    return render(request, "console/members/form.html", {"form": form, "member": member})


# ------------------------------------------------------------------ the 360° member page


@dataclass(frozen=True)
class MemberSection:
    """A block of the member page: a template, and a function giving its context."""

    template: str
    context: Callable[[HttpRequest, Actor, Member], dict[str, Any]] | None = None


# Later capabilities (cards, balances, points, coupons) append their sections here.
MEMBER_SECTIONS: list[MemberSection] = []


def register_member_section(section: MemberSection) -> MemberSection:
    MEMBER_SECTIONS.append(section)
    return section


ACTION_LABELS: dict[str, tuple[Any, str, str]] = {
    # action: (label, Tabler icon, colour)
    "member.registered": (pgettext_lazy("history", "Registered"), "ti-user-plus", "green"),
    "member.updated": (pgettext_lazy("history", "Profile changed"), "ti-edit", "blue"),
    "member.frozen": (pgettext_lazy("history", "Frozen"), "ti-snowflake", "cyan"),
    "member.unfrozen": (pgettext_lazy("history", "Unfrozen"), "ti-sun", "yellow"),
    "member.cancelled": (pgettext_lazy("history", "Membership cancelled"), "ti-user-off", "orange"),
    "member.restored": (pgettext_lazy("history", "Membership restored"), "ti-user-check", "green"),
    "member.terminated": (pgettext_lazy("history", "Membership terminated"), "ti-ban", "red"),
    "member.merged": (pgettext_lazy("history", "Duplicate merged in"), "ti-arrow-merge", "purple"),
    "member.merged_away": (
        pgettext_lazy("history", "Merged into another member"),
        "ti-arrow-merge",
        "purple",
    ),
    "member.pii_viewed": (
        pgettext_lazy("history", "Full personal data viewed"),
        "ti-eye",
        "secondary",
    ),
}

FIELD_LABELS: dict[str, Any] = {
    "name": gettext_lazy("Name"),
    "mobile": gettext_lazy("Mobile"),
    "gender": gettext_lazy("Gender"),
    "birthday": gettext_lazy("Birthday"),
    "birthday_calendar": gettext_lazy("Birthday calendar"),
    "id_number": gettext_lazy("ID number"),
    "region": gettext_lazy("Region"),
    "address": gettext_lazy("Address"),
    "occupation": gettext_lazy("Occupation"),
    "preferences": gettext_lazy("Lifestyle and preferences"),
    "email": gettext_lazy("E-mail"),
    "custom_fields": gettext_lazy("Custom fields"),
    "tags": gettext_lazy("Tags"),
    "status": gettext_lazy("Status"),
    "earn_frozen": gettext_lazy("Earning frozen"),
    "spend_frozen": gettext_lazy("Spending frozen"),
    "home_store_id": gettext_lazy("Joining store"),
    "merged_into": gettext_lazy("Merged into"),
    "merged_from": gettext_lazy("Merged from"),
}


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    label: str
    icon: str
    color: str
    changes: list[tuple[str, str, str]]  # (field, before, after)
    actor: str = ""


class _ValueFormatter:
    """Turns audit values into what staff read: labels, 是/否, store names."""

    def __init__(self) -> None:
        self.stores = dict(Store.objects.values_list("pk", "name"))
        self.custom = dict(CustomField.objects.values_list("key", "label"))
        self.choices: dict[str, dict[str, str]] = {
            "gender": {k: str(v) for k, v in Member.Gender.choices},
            "status": {k: str(v) for k, v in Member.Status.choices},
            "birthday_calendar": {k: str(v) for k, v in Member.Calendar.choices},
        }

    def __call__(self, key: str, value: Any) -> str:
        if value is None or value in ("", [], {}):
            return "—"
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if key in self.choices:
            return self.choices[key].get(str(value), str(value))
        if key == "home_store_id":
            return self.stores.get(value, str(value))
        if isinstance(value, list):
            return "、".join(str(v) for v in value)
        if isinstance(value, dict):
            return "；".join(
                f"{self.custom.get(k, k)}: {self('', v)}" for k, v in sorted(value.items())
            )
        return str(value)


def _history(actor: Actor, member: Member) -> list[HistoryEntry]:
    """The member's timeline: each event's action and its before/after in words and yuan,
    rendered by the audit log's own registry (``huiyuan.audit.selectors``)."""
    names = AuditNames(dict(Store.objects.values_list("pk", "name")))
    entries = []
    for event in selectors.member_history(actor=actor, member=member):
        label, icon, color = ACTION_LABELS.get(
            event.action,
            (action_label(event.action, event.subject_type), "ti-point", "secondary"),
        )
        changes = (
            []
            if event.action == "member.registered"
            else [
                (
                    row.label,
                    row.before if row.changed and row.after else "",
                    row.after or row.before,
                )
                for row in audit_diff(event, names=names)
            ]
        )
        entries.append(
            HistoryEntry(event, str(label), icon, color, changes, actor_display(event.actor_label))
        )
    return entries


def _member_page(
    request: HttpRequest,
    actor: Actor,
    member: Member,
    *,
    revealed: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    definitions = list(CustomField.objects.all())
    fmt = _ValueFormatter()
    custom_values = [
        (d.label, fmt("", member.custom_fields[d.key]))
        for d in definitions
        if d.key in (member.custom_fields or {})
    ]
    sections = [
        (s.template, s.context(request, actor, member) if s.context else {})
        for s in MEMBER_SECTIONS
    ]
    lunar = None
    if member.birthday_calendar == Member.Calendar.LUNAR and member.lunar_birth_month:
        lunar = {
            "month": member.lunar_birth_month,
            "day": member.lunar_birth_day,
            "leap": member.lunar_birth_leap,
        }
    return render(
        request,
        "console/members/detail.html",
        {
            "member": member,
            "history": _history(actor, member),
            "custom_values": custom_values,
            "sections": sections,
            "revealed": revealed,
            "lunar": lunar,
            "freeze_form": FreezeForm(),
            "reason_form": ReasonForm(),
            "merge_form": MergeForm(),
            "registered_by_role": ROLE_LABELS.get(Role(member.registered_by.role))
            if member.registered_by
            else None,
        },
        status=status,
    )


@staff_view
@require_GET
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    return _member_page(request, actor, _member_or_404(actor, member_id))


@staff_view
@require_POST
def member_reveal(request: HttpRequest, member_id: int) -> HttpResponse:
    """Show the unmasked mobile, ID number and address; the read is audited."""
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW_PII)
    member = _member_or_404(actor, member_id)
    revealed = services.member_reveal_pii(actor=actor, member_id=member.pk)
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "console/members/detail.html#pii",
            {"member": member, "revealed": revealed},
        )
    return _member_page(request, actor, member, revealed=revealed)


def _lifecycle_action(
    request: HttpRequest,
    member_id: int,
    perm: Perm,
    form_class: type[ReasonForm],
    call: Callable[[Actor, Member, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    actor = request_actor(request)
    require(actor, perm)
    member = _member_or_404(actor, member_id)
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        try:
            call(actor, member, form.cleaned_data)
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            messages.error(request, str(exc.message))
        else:
            messages.success(request, done)
    return redirect("console:member_detail", member_id=member.pk)


@staff_view
@require_POST
def member_freeze(request: HttpRequest, member_id: int) -> HttpResponse:
    return _lifecycle_action(
        request,
        member_id,
        Perm.MEMBER_FREEZE,
        FreezeForm,
        lambda actor, member, data: services.member_freeze(
            actor=actor,
            member_id=member.pk,
            earning=data["earning"],
            spending=data["spending"],
            reason=data["reason"],
        ),
        _("The member has been frozen."),
    )


@staff_view
@require_POST
def member_unfreeze(request: HttpRequest, member_id: int) -> HttpResponse:
    return _lifecycle_action(
        request,
        member_id,
        Perm.MEMBER_FREEZE,
        FreezeForm,
        lambda actor, member, data: services.member_unfreeze(
            actor=actor,
            member_id=member.pk,
            earning=data["earning"],
            spending=data["spending"],
            reason=data["reason"],
        ),
        _("The member has been unfrozen."),
    )


@staff_view
@require_POST
def member_cancel(request: HttpRequest, member_id: int) -> HttpResponse:
    return _lifecycle_action(
        request,
        member_id,
        Perm.MEMBER_CANCEL,
        ReasonForm,
        lambda actor, member, data: services.member_cancel(
            actor=actor, member_id=member.pk, reason=data["reason"]
        ),
        _("The membership has been cancelled."),
    )


@staff_view
@require_POST
def member_restore(request: HttpRequest, member_id: int) -> HttpResponse:
    return _lifecycle_action(
        request,
        member_id,
        Perm.MEMBER_CANCEL,
        ReasonForm,
        lambda actor, member, data: services.member_restore(
            actor=actor, member_id=member.pk, reason=data["reason"]
        ),
        _("The membership has been restored."),
    )


@staff_view
@require_POST
def member_terminate(request: HttpRequest, member_id: int) -> HttpResponse:
    return _lifecycle_action(
        request,
        member_id,
        Perm.MEMBER_TERMINATE,
        ReasonForm,
        lambda actor, member, data: services.member_terminate(
            actor=actor, member_id=member.pk, reason=data["reason"]
        ),
        _("The membership has been terminated."),
    )


@staff_view
@require_POST
def member_merge(request: HttpRequest, member_id: int) -> HttpResponse:
    def merge(actor: Actor, member: Member, data: dict[str, Any]) -> Member:
        code = data["duplicate_code"].strip()
        duplicate = next(
            (m for m in selectors.member_lookup(actor=actor, query=code) if m.code == code), None
        )
        if duplicate is None:
            raise DomainError(
                _("No member has the number %(code)s.") % {"code": code}, code="member_not_found"
            )
        return services.member_merge(
            actor=actor, survivor_id=member.pk, duplicate_id=duplicate.pk, reason=data["reason"]
        )

    return _lifecycle_action(
        request,
        member_id,
        Perm.MEMBER_MERGE,
        MergeForm,
        merge,
        _("The duplicate has been merged into this member."),
    )
