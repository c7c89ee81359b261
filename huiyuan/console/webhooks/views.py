"""Webhook pages: subscriptions (list, create, edit, disable, enable, new secret) and the
delivery log with each attempt and a replay button. Owner and head office
(``webhook.manage``). A secret is rendered in the response that makes it, never again.
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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.context import request_actor
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.webhooks.forms import DeliveryFilterForm, SubscriptionForm
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.core.errors import PermissionDenied as DomainPermissionDenied
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.events.names import event_label
from huiyuan.webhooks import selectors, services
from huiyuan.webhooks.models import WebhookDelivery, WebhookSubscription

PAGE_SIZE = 50
TONES = {"pending": "yellow", "succeeded": "green", "failed": "red"}


def _sub_status(sub: WebhookSubscription) -> str:
    if sub.is_active:
        return _("Active")
    if sub.disabled_reason == "failures":
        return _("Disabled after failures")
    return _("Disabled")


def _answer(delivery: WebhookDelivery) -> object:
    return delivery.last_status_code or delivery.last_error


SUBSCRIPTION_COLUMNS: tuple[Column[WebhookSubscription], ...] = (
    Column(gettext_lazy("Webhook name"), lambda s: s.name, width=20),
    Column(gettext_lazy("Target URL"), lambda s: s.url, width=40),
    Column(
        gettext_lazy("Events"),
        lambda s: "、".join(str(event_label(n)) for n in s.event_names),
        width=40,
    ),
    Column(gettext_lazy("Status"), _sub_status),
    Column(gettext_lazy("Deliveries waiting"), lambda s: getattr(s, "pending_count", 0), "number"),
    Column(gettext_lazy("Deliveries failed"), lambda s: getattr(s, "failed_count", 0), "number"),
)
DELIVERY_COLUMNS: tuple[Column[WebhookDelivery], ...] = (
    Column(gettext_lazy("Time"), lambda d: d.created_at, "moment", 17),
    Column(gettext_lazy("Event"), lambda d: event_label(d.event_name), width=20),
    Column("#", lambda d: d.event_id, "number", 10),
    Column(gettext_lazy("Status"), lambda d: d.get_status_display()),
    Column(gettext_lazy("Attempts"), lambda d: d.attempts, "number", 10),
    Column(gettext_lazy("Last answer"), _answer, width=30),
)


def _actor(request: HttpRequest) -> Actor:
    actor = request_actor(request)
    try:
        require(actor, Perm.WEBHOOK_MANAGE)
    except DomainPermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc
    return actor


def _subscription(actor: Actor, subscription_id: int) -> WebhookSubscription:
    try:
        return selectors.subscription_get(actor=actor, subscription_id=subscription_id)
    except NotFound as exc:
        raise Http404 from exc


def _secret_page(request: HttpRequest, sub: WebhookSubscription, created: bool) -> HttpResponse:
    response = render(
        request,
        "console/webhooks/secret.html",
        {"sub": sub, "secret": selectors.subscription_secret(sub), "created": created},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def subscription_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    if wants_xlsx(request):
        return xlsx_download(
            name="webhooks",
            title=_("Webhooks"),
            columns=SUBSCRIPTION_COLUMNS,
            rows=selectors.subscription_list(actor=actor).iterator(chunk_size=1000),
        )
    subs = list(selectors.subscription_list(actor=actor))
    return render(
        request,
        "console/webhooks/list.html",
        {
            "rows": [{"sub": s, "labels": [event_label(n) for n in s.event_names]} for s in subs],
            "disabled_by_failures": [
                s for s in subs if not s.is_active and s.disabled_reason == "failures"
            ],
        },
    )


@login_required
def subscription_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sub = services.subscription_create(
                actor=actor,
                name=data["name"],
                url=data["url"],
                event_names=data["event_names"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _secret_page(request, sub, created=True)
    return render(request, "console/webhooks/form.html", {"form": form, "sub": None})


@login_required
def subscription_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    actor = _actor(request)
    sub = _subscription(actor, subscription_id)
    initial = {"name": sub.name, "url": sub.url, "event_names": sub.event_names}
    form = SubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.subscription_update(
                actor=actor,
                subscription_id=sub.pk,
                name=data["name"],
                url=data["url"],
                event_names=data["event_names"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Webhook “%(name)s” saved.") % {"name": data["name"]})
            return redirect("console:webhook_detail", subscription_id=sub.pk)
    return render(request, "console/webhooks/form.html", {"form": form, "sub": sub})


@login_required
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponseBase:
    actor = _actor(request)
    sub = _subscription(actor, subscription_id)
    form = DeliveryFilterForm(request.GET or None)
    filters = selectors.DeliveryFilters(subscription_id=sub.pk)
    if form.is_bound and form.is_valid():
        filters = selectors.DeliveryFilters(
            subscription_id=sub.pk,
            status=form.cleaned_data["status"],
            event_name=form.cleaned_data["event"],
        )
    deliveries = selectors.delivery_list(actor=actor, filters=filters)
    if wants_xlsx(request):
        return xlsx_download(
            name=f"webhook-{sub.pk}-deliveries",
            title=sub.name,
            columns=DELIVERY_COLUMNS,
            rows=deliveries.iterator(chunk_size=1000),
        )
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/webhooks/detail.html",
        {
            "sub": sub,
            "labels": [event_label(n) for n in sub.event_names],
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "rows": [
                {"delivery": d, "tone": TONES.get(d.status, "secondary")} for d in page.object_list
            ],
        },
    )


@login_required
def delivery_detail(request: HttpRequest, delivery_id: int) -> HttpResponse:
    actor = _actor(request)
    try:
        delivery = selectors.delivery_get(actor=actor, delivery_id=delivery_id)
    except NotFound as exc:
        raise Http404 from exc
    try:
        body = json.dumps(json.loads(delivery.body), ensure_ascii=False, indent=2, sort_keys=True)
    except ValueError:
        body = delivery.body
    return render(
        request,
        "console/webhooks/delivery.html",
        {
            "delivery": delivery,
            "sub": delivery.subscription,
            "tone": TONES.get(delivery.status, "secondary"),
            "label": event_label(delivery.event_name),
            "body": body,
            "attempts": list(delivery.attempt_log.all()),
        },
    )


def _act(request: HttpRequest, action: Any, done: str, **kwargs: Any) -> Any:
    """Run a POST action; a refusal becomes an error message."""
    try:
        result = action(actor=_actor(request), **kwargs)
    except DomainPermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return None
    messages.success(request, done)
    return result


@login_required
@require_POST
def subscription_disable(request: HttpRequest, subscription_id: int) -> HttpResponse:
    _act(
        request,
        services.subscription_disable,
        _("Webhook disabled: nothing more is sent to it."),
        subscription_id=subscription_id,
    )
    return redirect("console:webhook_detail", subscription_id=subscription_id)


@login_required
@require_POST
def subscription_enable(request: HttpRequest, subscription_id: int) -> HttpResponse:
    _act(
        request,
        services.subscription_enable,
        _("Webhook enabled: new events are sent to it again."),
        subscription_id=subscription_id,
    )
    return redirect("console:webhook_detail", subscription_id=subscription_id)


@login_required
@require_POST
def subscription_rotate_secret(request: HttpRequest, subscription_id: int) -> HttpResponse:
    actor = _actor(request)
    try:
        sub = services.subscription_rotate_secret(actor=actor, subscription_id=subscription_id)
    except NotFound as exc:
        raise Http404 from exc
    return _secret_page(request, sub, created=False)


@login_required
@require_POST
def delivery_replay(request: HttpRequest, delivery_id: int) -> HttpResponse:
    replay = _act(
        request,
        services.delivery_replay,
        _("The event is being sent again as a new delivery."),
        delivery_id=delivery_id,
    )
    if replay is not None:
        return redirect("console:webhook_delivery", delivery_id=replay.pk)
    return redirect("console:webhook_delivery", delivery_id=delivery_id)
