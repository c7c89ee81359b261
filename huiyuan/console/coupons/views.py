"""Coupons in the console (K1–K3): templates (list, create, edit, stop), a template's page
(statistics, dry run on last month, issue by hand, batch issue with a progress bar), the
coupon list with filters, and group-buy vouchers (美团/抖音) at the counter."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods, require_POST

from huiyuan.console.config.common import refuse_if_forbidden
from huiyuan.console.context import request_actor
from huiyuan.console.coupons.forms import (
    BatchForm,
    GroupBuyForm,
    IssueForm,
    TemplateForm,
    initial_of,
)
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.coupons import dryrun, groupbuy, selectors, services
from huiyuan.coupons.models import Coupon, CouponTemplate, IssueBatch
from huiyuan.members import selectors as member_selectors
from huiyuan.members.models import Member

PAGE = 100
EXPORT_COLUMNS: tuple[Column[Coupon], ...] = (
    Column(_l("Coupon code"), lambda c: c.code, width=16),
    Column(_l("Coupon template"), lambda c: c.template.name, width=20),
    Column(_l("Member number"), lambda c: c.member.code, width=14),
    Column(_l("Member"), lambda c: c.member.name, width=12),
    Column(_l("Channel"), lambda c: c.get_channel_display(), width=10),
    Column(_l("Issued at"), lambda c: c.issued_at, "moment", 18),
    Column(_l("Valid from"), lambda c: c.valid_from, "date", 12),
    Column(_l("Valid to"), lambda c: c.valid_to, "date", 12),
    Column(_l("Status"), lambda c: c.get_status_display(), width=8),
    Column(_l("Used at"), lambda c: c.used_at, "moment", 18),
    Column(_l("Discount"), lambda c: c.discount_fen, "money", 10),
    Column(_l("Sale amount"), lambda c: c.sale_payable_fen or None, "money", 12),
)


def _key(request: HttpRequest) -> str:
    return str(request.POST.get("idempotency_key", "")).strip()[:100] or uuid.uuid4().hex


def _template_or_404(request: HttpRequest, template_id: int) -> CouponTemplate:
    template = selectors.templates(request_actor(request)).filter(pk=template_id).first()
    if template is None:
        raise Http404
    return template


@staff_view
def template_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    status = str(request.GET.get("status", ""))
    status = status if status in CouponTemplate.Status.values else ""
    rows = [
        (t, selectors.template_stats(actor, t.pk))
        for t in selectors.templates(actor, status=status)[:PAGE]
    ]
    return render(
        request,
        "console/coupons/templates.html",
        {"rows": rows, "status": status, "manage": actor.has(Perm.COUPON_MANAGE)},
    )


@staff_view
@require_http_methods(["GET", "POST"])
def template_form(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.COUPON_MANAGE)
    template = _template_or_404(request, template_id) if template_id else None
    initial = (
        initial_of(template)
        if template
        else {
            "validity": "fixed",
            "per_member_limit": 1,
            "kind": "threshold",
            "restore_on_return": True,
        }
    )
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if template is None:
                template = services.template_create(
                    actor=actor, data=form.to_input(), idempotency_key=_key(request)
                )
            else:
                template = services.template_update(
                    actor=actor,
                    template_id=template.pk,
                    data=form.to_input(),
                    idempotency_key=_key(request),
                )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            form.add_error(form.error_field(exc.field), str(exc.message))
        else:
            messages.success(request, _("Coupon template saved."))
            return redirect("console:coupon_template", template_id=template.pk)
    return render(
        request,
        "console/coupons/template_form.html",
        {"form": form, "template": template, "idempotency_key": uuid.uuid4().hex},
    )


@staff_view
def template_detail(request: HttpRequest, template_id: int) -> HttpResponse:
    actor = request_actor(request)
    template = _template_or_404(request, template_id)
    dry = None
    if request.GET.get("dry") == "1":
        dry = dryrun.template_dry_run(actor=actor, template_id=template.pk)
    manage = actor.has(Perm.COUPON_MANAGE)
    segments = (
        selectors.batch_segments(actor)
        if manage and template.status == CouponTemplate.Status.ACTIVE
        else []
    )
    return render(
        request,
        "console/coupons/template_detail.html",
        {
            "template": template,
            "stats": selectors.template_stats(actor, template.pk),
            "dry": dry,
            "issue_form": IssueForm(),
            "batch_form": BatchForm(segments=segments),
            "batches": selectors.batches(actor, template.pk)[:5],
            "recent": selectors.coupons(actor, template_id=template.pk)[:20],
            "manage": manage,
            "can_issue": actor.has(Perm.COUPON_ISSUE),
            "idempotency_key": uuid.uuid4().hex,
        },
    )


@staff_view
@require_POST
def template_stop(request: HttpRequest, template_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        services.template_stop(actor=actor, template_id=template_id, idempotency_key=_key(request))
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The template is stopped: no more coupons are issued."))
    return redirect("console:coupon_template", template_id=template_id)


def _member(actor: Any, text: str) -> Member | None:
    from huiyuan.console.counter.panel import find_card

    found = find_card(actor, text)
    if found is not None and found.card.member_id:
        return Member.objects.filter(pk=found.card.member_id).first()
    members = member_selectors.member_lookup(actor=actor, query=text, limit=2)
    return members[0] if len(members) == 1 else None


@staff_view
@require_POST
def template_issue(request: HttpRequest, template_id: int) -> HttpResponse:
    actor = request_actor(request)
    form = IssueForm(request.POST)
    if form.is_valid():
        member = _member(actor, form.cleaned_data["member"].strip())
        if member is None:
            messages.error(
                request, _("No single member matches “%(q)s”.") % {"q": form.cleaned_data["member"]}
            )
        else:
            claim = request.POST.get("op") == "claim"
            try:
                coupon = (services.coupon_claim if claim else services.coupon_issue)(
                    actor=actor,
                    template_id=template_id,
                    member_id=member.pk,
                    idempotency_key=_key(request),
                )
            except DomainError as exc:
                refuse_if_forbidden(exc)
                messages.error(request, str(exc.message))
            else:
                messages.success(
                    request,
                    (
                        _("Coupon %(code)s claimed by %(name)s.")
                        if claim
                        else _("Coupon %(code)s issued to %(name)s.")
                    )
                    % {"code": coupon.code, "name": member.name},
                )
    return redirect("console:coupon_template", template_id=template_id)


def _codes(text: str) -> list[str]:
    return [c for c in text.replace(",", "\n").replace("，", "\n").split() if c][:10_000]


@staff_view
@require_POST
def template_batch(request: HttpRequest, template_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.COUPON_MANAGE)
    form = BatchForm(request.POST, segments=selectors.batch_segments(actor))
    if not form.is_valid():
        messages.error(request, _("Check the batch filter."))
        return redirect("console:coupon_template", template_id=template_id)
    codes = _codes(form.cleaned_data.get("member_codes") or "")
    member_ids: tuple[int, ...] = ()
    if codes:
        member_ids = tuple(Member.objects.filter(code__in=codes).values_list("pk", flat=True))
        if not member_ids:
            messages.error(request, _("No member has these numbers."))
            return redirect("console:coupon_template", template_id=template_id)
    try:
        batch = services.issue_batch_start(
            actor=actor,
            template_id=template_id,
            member_filter=services.MemberFilter(
                member_ids=member_ids,
                tier_codes=tuple(form.cleaned_data.get("tiers") or ()),
                home_store_ids=tuple(s.pk for s in form.cleaned_data.get("stores") or ()),
                segment_id=form.cleaned_data.get("segment"),
            ),
            idempotency_key=_key(request),
        )
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
        return redirect("console:coupon_template", template_id=template_id)
    return redirect("console:coupon_batch", batch_id=batch.pk)


@staff_view
def batch_progress(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = request_actor(request)
    batch = selectors.batches(actor).filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    context = {
        "batch": batch,
        "segment": selectors.batch_segment(batch),
        "running": batch.status in (IssueBatch.Status.QUEUED, IssueBatch.Status.RUNNING),
    }
    if request.headers.get("HX-Request"):
        return render(request, "console/coupons/batch.html#progress", context)
    return render(request, "console/coupons/batch.html", context)


@staff_view
def coupon_list(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    template_id = str(request.GET.get("template", "")).strip()
    status = str(request.GET.get("status", "")).strip()
    code = str(request.GET.get("code", "")).strip()[:30]
    member_text = str(request.GET.get("member", "")).strip()[:50]
    member = _member(actor, member_text) if member_text else None
    rows = selectors.coupons(
        actor,
        template_id=int(template_id) if template_id.isdigit() else None,
        member_id=member.pk if member else None,
        status=status if status in ("unused", "used", "void", "expired") else "",
        code=code,
    )
    if member_text and member is None:
        rows = rows.none()
    if wants_xlsx(request):
        return xlsx_download(
            name="coupons",
            title=_("Coupons issued"),
            columns=EXPORT_COLUMNS,
            rows=rows.iterator(chunk_size=1000),
        )
    return render(
        request,
        "console/coupons/coupons.html",
        {
            "rows": rows[:PAGE],
            "templates": selectors.templates(actor),
            "filters": {
                "template": template_id,
                "status": status,
                "code": code,
                "member": member_text,
            },
            "statuses": [
                ("unused", _("Unused")),
                ("used", _("Used")),
                ("expired", _("Expired")),
                ("void", _("Void")),
            ],
        },
    )


@staff_view
@require_http_methods(["GET", "POST"])
def groupbuy_page(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.COUPON_ISSUE)
    form = GroupBuyForm(request.POST or None)
    voucher = None
    redeemed = None
    if request.method == "POST" and form.is_valid():
        provider, code = form.cleaned_data["provider"], form.cleaned_data["code"]
        try:
            if request.POST.get("op") == "redeem":
                redeemed = groupbuy.groupbuy_redeem(
                    actor=actor, provider=provider, code=code, idempotency_key=_key(request)
                )
                form = GroupBuyForm()
            else:
                voucher = groupbuy.groupbuy_verify(actor=actor, provider=provider, code=code)
        except DomainError as exc:
            refuse_if_forbidden(exc)
            form.add_error("code", str(exc.message))
    return render(
        request,
        "console/coupons/groupbuy.html",
        {
            "form": form,
            "voucher": voucher,
            "redeemed": redeemed,
            "recent": groupbuy.GroupBuyRedemption.objects.filter(store_id=actor.store_id)[:20]
            if actor.store_id
            else [],
            "idempotency_key": uuid.uuid4().hex,
        },
    )
