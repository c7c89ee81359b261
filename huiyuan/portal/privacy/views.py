"""我的数据与隐私: download my data, marketing consent, password, account deletion (O3)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from huiyuan.core.errors import DomainError
from huiyuan.portal.auth import member_required, member_sign_in, member_sign_out
from huiyuan.selfservice import privacy, selectors, services
from huiyuan.selfservice.models import MemberCredential


@member_required
def index(request: HttpRequest) -> HttpResponse:
    actor = request.member_actor  # type: ignore[attr-defined]
    return render(
        request,
        "portal/privacy/index.html",
        {
            "marketing": selectors.marketing_allowed(actor.member_id),
            "has_password": MemberCredential.objects.filter(member_id=actor.member_id).exists(),
        },
    )


@member_required
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    data = privacy.data_export(request.member_actor)  # type: ignore[attr-defined]
    body = json.dumps(data, ensure_ascii=False, indent=2)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@member_required
@require_POST
def marketing(request: HttpRequest) -> HttpResponse:
    allowed = request.POST.get("allowed") == "1"
    privacy.marketing_set(request.member_actor, allowed=allowed)  # type: ignore[attr-defined]
    messages.success(
        request,
        _("You will receive offers and news again.")
        if allowed
        else _(
            "Done: you will get no more offers or news. Messages about your account still come."
        ),
    )
    return redirect("portal:privacy:index")


class DeleteForm(forms.Form):
    confirm = forms.CharField(max_length=10)


@member_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    actor = request.member_actor  # type: ignore[attr-defined]
    cards = selectors.my_cards(actor)
    principal = sum(c.principal for c in cards if c.card.member_id == actor.member_id)
    error = ""
    if request.method == "POST":
        form = DeleteForm(request.POST)
        if not form.is_valid() or form.cleaned_data["confirm"].strip() not in ("注销", "DELETE"):
            error = _("Type 注销 (or DELETE) in the box to confirm.")
        else:
            try:
                privacy.deletion_request(actor)
            except DomainError as exc:
                error = str(exc.message)
            else:
                member_sign_out(request)
                return render(request, "portal/privacy/deleted.html")
    return render(
        request,
        "portal/privacy/delete.html",
        {"principal": principal, "cards": cards, "error": error},
    )


class PasswordForm(forms.Form):
    old_password = forms.CharField(
        label=gettext_lazy("Current password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    password = forms.CharField(
        label=gettext_lazy("New password (at least 8 characters)"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


@member_required
@require_http_methods(["GET", "POST"])
def password(request: HttpRequest) -> HttpResponse:
    actor = request.member_actor  # type: ignore[attr-defined]
    has_password = MemberCredential.objects.filter(member_id=actor.member_id).exists()
    form = PasswordForm(request.POST or None)
    if not has_password:
        form.fields.pop("old_password")
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                actor=actor,
                old_password=form.cleaned_data.get("old_password") or "",
                password=form.cleaned_data["password"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            member_sign_in(request, request.member)  # type: ignore[attr-defined]
            messages.success(request, _("Your password was saved."))
            return redirect("portal:privacy:index")
    return render(
        request, "portal/privacy/password.html", {"form": form, "has_password": has_password}
    )
