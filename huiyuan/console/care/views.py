"""Care pages: channels and the delivery log, templates with a preview on a real member,
DM campaigns with a live progress bar (htmx polling) and their report, care rules, and
the development outbox."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiyuan.care import campaigns as campaign_services
from huiyuan.care import selectors, services
from huiyuan.care.dates import CareDateInput, care_date_label, care_date_save
from huiyuan.care.models import (
    Campaign,
    CareDate,
    CareOnce,
    CareRule,
    ChannelKind,
    Delivery,
    MessageKind,
)
from huiyuan.care.rules import DEFAULT_TEMPLATES, RuleInput, care_rule_save
from huiyuan.care.templates import VARIABLES, wording_for
from huiyuan.console.care.exports import (
    CARE_DATE_COLUMNS,
    DELIVERY_COLUMNS,
    TEMPLATE_COLUMNS,
    campaign_columns,
)
from huiyuan.console.care.forms import (
    CampaignForm,
    CareDateForm,
    PreviewForm,
    RuleForm,
    TemplateForm,
)
from huiyuan.console.context import request_actor
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.views import staff_view
from huiyuan.core import china, pii
from huiyuan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Perm, require
from huiyuan.coupons.models import CouponTemplate
from huiyuan.members.models import Member
from huiyuan.segments.models import Segment


def _show(form: Any, exc: DomainError) -> None:
    if isinstance(exc, PermissionDenied):
        raise exc
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


def _coupon_choices() -> list[tuple[str, str]]:
    return [
        (str(pk), name)
        for pk, name in CouponTemplate.objects.filter(status=CouponTemplate.Status.ACTIVE)
        .order_by("name")
        .values_list("pk", "name")
    ]


def _template_choices(kind: str = "") -> list[tuple[str, str]]:
    return [(code, f"{name}（{code}）") for code, name in selectors.template_codes(kind=kind)]


# ---------------------------------------------------------------------------- channels + log


@staff_view
def channels(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    channel = request.GET.get("channel", "")
    channel = channel if channel in ChannelKind.values else ""
    status = request.GET.get("status", "")
    status = status if status in Delivery.Status.values else ""
    rows = selectors.deliveries_list(actor=actor, channel=channel, status=status)
    if wants_xlsx(request):
        return xlsx_download(
            name="deliveries",
            title=_("Delivery log"),
            columns=DELIVERY_COLUMNS,
            rows=rows.iterator(chunk_size=1000),
        )
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "console/care/channels.html",
        {
            "tab": "channels",
            "channel_rows": selectors.channel_rows(actor=actor),
            "page": page,
            "channel": channel,
            "status": status,
            "channels": ChannelKind.choices,
            "statuses": Delivery.Status.choices,
        },
    )


# ---------------------------------------------------------------------------- templates


@staff_view
def templates(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    rows = selectors.template_rows(actor=actor)
    if wants_xlsx(request):
        return xlsx_download(
            name="message-templates",
            title=_("Message templates"),
            columns=TEMPLATE_COLUMNS,
            rows=rows,
        )
    return render(
        request,
        "console/care/templates.html",
        {
            "tab": "templates",
            "rows": rows,
            "channels": ChannelKind.choices,
            "may_manage": actor.has(Perm.CARE_MANAGE),
        },
    )


@staff_view
def template_edit(request: HttpRequest, code: str = "", channel: str = "") -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.CARE_VIEW)
    if channel and channel not in ChannelKind.values:
        raise Http404
    initial: dict[str, Any] = {
        "is_active": True,
        "channel": channel or ChannelKind.SMS,
        "kind": MessageKind.MARKETING,
    }
    if code:
        wording = wording_for(code, channel)
        if wording is None:
            raise Http404
        initial.update(
            code=code,
            name=wording.name or code,
            kind=wording.kind,
            subject=wording.subject,
            body=wording.body,
        )
    form = TemplateForm(request.POST or None, initial=initial)
    if code:
        form.fields["code"].disabled = True
        form.fields["channel"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = services.template_save(
                actor=actor,
                data=services.TemplateInput(
                    code=data["code"],
                    channel=data["channel"],
                    name=data["name"],
                    kind=data["kind"],
                    subject=data["subject"],
                    body=data["body"],
                    is_active=data["is_active"],
                ),
            )
        except DomainError as exc:
            _show(form, exc)
        else:
            messages.success(request, _("Template saved."))
            return redirect("console:care_template", code=row.code, channel=row.channel)
    return render(
        request,
        "console/care/template_form.html",
        {
            "tab": "templates",
            "form": form,
            "code": code,
            "channel": channel,
            "variables": [(k, str(v)) for k, v in VARIABLES.items()],
            "preview_form": PreviewForm(),
            "may_manage": actor.has(Perm.CARE_MANAGE),
        },
    )


def _find_member(text: str) -> Member | None:
    text = text.strip()
    if not text:
        return None
    member = Member.objects.filter(code=text).first()
    if member is not None:
        return member
    try:
        mobile = china.normalize_mobile(text)
    except ValidationFailed:
        return None
    return Member.objects.filter(mobile_hash=pii.keyed_hash(mobile)).first()


@staff_view
@require_POST
def template_preview(request: HttpRequest) -> HttpResponse:
    """The htmx preview: the draft in the form, filled for the member typed."""
    actor = request_actor(request)
    form = PreviewForm(request.POST)
    context: dict[str, Any] = {"preview": None, "error": ""}
    member = _find_member(form.data.get("member", "")) if form.is_valid() else None
    if member is None:
        context["error"] = _("No member found with this number or mobile.")
    else:
        try:
            context["preview"] = services.template_preview(
                actor=actor,
                code=request.POST.get("code", "") or "draft",
                channel=request.POST.get("channel", "") or ChannelKind.SMS,
                member_id=member.pk,
                body=request.POST.get("body", ""),
                subject=request.POST.get("subject", ""),
            )
            context["member"] = member
        except NotFound:
            context["error"] = _("No member found with this number or mobile.")
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            context["error"] = str(exc.message)
    return render(request, "console/care/_preview.html", context)


# ---------------------------------------------------------------------------- campaigns


@staff_view
def campaigns(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    rows = selectors.campaigns_list(actor=actor)
    if request.method == "GET" and wants_xlsx(request):
        return xlsx_download(
            name="campaigns",
            title=_("DM campaigns"),
            columns=campaign_columns(dict(Segment.objects.values_list("pk", "name"))),
            rows=rows.iterator(chunk_size=1000),
        )
    form = CampaignForm(
        request.POST or None,
        templates=_template_choices(MessageKind.MARKETING),
        segments=[(str(s.pk), s.name) for s in Segment.objects.order_by("name")],
        coupons=_coupon_choices(),
        initial={"template_code": "promotion", "channel": ChannelKind.SMS},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = campaign_services.campaign_create(
                actor=actor,
                data=campaign_services.CampaignInput(
                    name=data["name"],
                    template_code=data["template_code"],
                    channel=data["channel"],
                    segment_id=int(data["segment"]) if data["segment"] else None,
                    coupon_template_id=int(data["coupon_template"])
                    if data["coupon_template"]
                    else None,
                ),
            )
        except DomainError as exc:
            _show(form, exc)
        else:
            messages.success(request, _("Campaign saved as a draft. Check it, then start it."))
            return redirect("console:care_campaign", campaign_id=row.pk)
    page = Paginator(rows, 20).get_page(request.GET.get("page"))
    segments = dict(Segment.objects.values_list("pk", "name"))
    return render(
        request,
        "console/care/campaigns.html",
        {
            "tab": "campaigns",
            "page": page,
            "items": [(c, segments.get(c.segment_id or 0)) for c in page],
            "form": form,
            "may_manage": actor.has(Perm.CARE_MANAGE),
        },
    )


@staff_view
def campaign(request: HttpRequest, campaign_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    try:
        row = campaign_services.campaign_get(actor=actor, campaign_id=campaign_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    if wants_xlsx(request):  # the recipients: every message of the campaign
        return xlsx_download(
            name=f"campaign-{row.pk}",
            title=row.name,
            columns=DELIVERY_COLUMNS,
            rows=selectors.deliveries_list(actor=actor, campaign_id=row.pk).iterator(
                chunk_size=1000
            ),
        )
    segment = Segment.objects.filter(pk=row.segment_id).first() if row.segment_id else None
    context = {
        "tab": "campaigns",
        "campaign": row,
        "segment": segment,
        "audience": campaign_services.campaign_audience(row).count()
        if row.status == Campaign.Status.DRAFT
        else row.total,
        "report": campaign_services.campaign_report(row),
        "running": row.status == Campaign.Status.RUNNING,
        "may_manage": actor.has(Perm.CARE_MANAGE),
        "recent": selectors.deliveries_list(actor=actor, campaign_id=row.pk)[:10],
    }
    if request.headers.get("HX-Request"):
        return render(request, "console/care/campaign.html#progress", context)
    return render(request, "console/care/campaign.html", context)


@staff_view
@require_POST
def campaign_start(request: HttpRequest, campaign_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        campaign_services.campaign_start(actor=actor, campaign_id=campaign_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Campaign started: the worker is sending."))
    return redirect("console:care_campaign", campaign_id=campaign_id)


# ---------------------------------------------------------------------------- rules


@staff_view
def rules(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    existing = selectors.rules_by_kind(actor=actor)
    templates_ = _template_choices()
    coupons = _coupon_choices()
    forms_: list[tuple[str, str, RuleForm, CareRule | None]] = []
    posted = request.POST.get("kind", "") if request.method == "POST" else ""
    for kind, label in CareRule.Kind.choices:
        rule = existing.get(kind)
        initial = {
            "template_code": rule.template_code if rule else DEFAULT_TEMPLATES[CareRule.Kind(kind)],
            "channel": rule.channel if rule else ChannelKind.SMS,
            "days_ahead": rule.days_ahead if rule else 0,
            "coupon_template": str(rule.coupon_template_id or "") if rule else "",
            "is_active": rule.is_active if rule else False,
        }
        form = RuleForm(
            request.POST if posted == kind else None,
            initial=initial,
            prefix=kind,
            templates=templates_,
            coupons=coupons,
        )
        for field in form.fields.values():  # the row's inputs belong to the row's form
            field.widget.attrs["form"] = f"rule-{kind}-form"
        if posted == kind and form.is_valid():
            data = form.cleaned_data
            try:
                care_rule_save(
                    actor=actor,
                    data=RuleInput(
                        kind=kind,
                        template_code=data["template_code"],
                        channel=data["channel"],
                        days_ahead=data["days_ahead"],
                        coupon_template_id=int(data["coupon_template"])
                        if data["coupon_template"]
                        else None,
                        is_active=data["is_active"],
                    ),
                )
            except DomainError as exc:
                _show(form, exc)
            else:
                messages.success(request, _("Care rule saved."))
                return redirect("console:care_rules")
        forms_.append((kind, str(label), form, rule))
    return render(
        request,
        "console/care/rules.html",
        {"tab": "rules", "forms": forms_, "may_manage": actor.has(Perm.CARE_MANAGE)},
    )


# ---------------------------------------------------------------------------- special dates


@staff_view
def care_dates(request: HttpRequest) -> HttpResponseBase:
    """节日与特殊日期: the merchant's chosen dates (solar, lunar, one-off); ``?edit=<id>``
    loads one into the form."""
    actor = request_actor(request)
    rows = selectors.care_dates(actor=actor)
    editing = None
    edit_id = request.POST.get("edit") or request.GET.get("edit") or ""
    if edit_id.isdigit():
        editing = next((r for r in rows if r.pk == int(edit_id)), None)
    initial: dict[str, Any] = {"template_code": "holiday", "is_active": True}
    if editing is not None:
        initial = {
            "name": editing.name,
            "calendar": editing.calendar,
            "month": editing.month,
            "day": editing.day,
            "date": editing.date,
            "template_code": editing.template_code,
            "channel": editing.channel,
            "days_ahead": editing.days_ahead,
            "coupon_template": str(editing.coupon_template_id or ""),
            "is_active": editing.is_active,
        }
    form = CareDateForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        templates=_template_choices(),
        coupons=_coupon_choices(),
    )
    if request.method == "POST":
        require(actor, Perm.CARE_MANAGE)
        if form.is_valid():
            data = form.cleaned_data
            try:
                care_date_save(
                    actor=actor,
                    data=CareDateInput(
                        name=data["name"],
                        calendar=data["calendar"],
                        month=data["month"],
                        day=data["day"],
                        date=data["date"],
                        template_code=data["template_code"],
                        channel=data["channel"],
                        days_ahead=data["days_ahead"] or 0,
                        coupon_template_id=int(data["coupon_template"])
                        if data["coupon_template"]
                        else None,
                        is_active=data["is_active"],
                    ),
                    care_date_id=editing.pk if editing is not None else None,
                )
            except DomainError as exc:
                _show(form, exc)
            else:
                messages.success(request, _("Special date saved."))
                return redirect("console:care_dates")
    served = {
        key: n
        for key, n in CareOnce.objects.filter(key__startswith="date:")
        .values_list("key")
        .annotate(n=Count("pk"))
        .values_list("key", "n")
    }
    listed = []
    for row in rows:
        prefix = f"date:{row.pk}:"
        listed.append(
            (row, care_date_label(row), sum(n for k, n in served.items() if k.startswith(prefix)))
        )
    if request.method == "GET" and wants_xlsx(request):
        prefetch_related_objects(rows, "coupon_template")
        return xlsx_download(
            name="care-dates",
            title=_("Holidays and special dates"),
            columns=CARE_DATE_COLUMNS,
            rows=listed,
        )
    return render(
        request,
        "console/care/dates.html",
        {
            "tab": "dates",
            "rows": listed,
            "form": form,
            "editing": editing,
            "may_manage": actor.has(Perm.CARE_MANAGE),
            "calendars": dict(CareDate.Calendar.choices),
        },
    )


# ---------------------------------------------------------------------------- dev outbox


@staff_view
def outbox(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    channel = request.GET.get("channel", "")
    channel = channel if channel in ChannelKind.values else ""
    page = Paginator(selectors.outbox_list(actor=actor, channel=channel), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "console/care/outbox.html",
        {"tab": "outbox", "page": page, "channel": channel, "channels": ChannelKind.choices},
    )
