"""Joining, signing in and out, password reset, and the member documents.

Forms work without JavaScript: the 获取验证码 (get code) button submits the same form
with ``action=code``; the view sends the code and shows the form again, filled in.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from huiyuan.core.client import client_ip
from huiyuan.core.errors import DomainError
from huiyuan.members.models import Member
from huiyuan.portal.auth import current_member, member_sign_in, member_sign_out
from huiyuan.selfservice import selectors, services
from huiyuan.selfservice.joinlink import JoinLink, join_link_read
from huiyuan.selfservice.models import Document, VerificationCode
from huiyuan.stores.models import Store


def _ip(request: HttpRequest) -> str:
    return client_ip(request) or ""


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/m/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/m/"


class MobileField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", gettext_lazy("Mobile number"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}),
        )
        super().__init__(**kwargs)


def _code_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("SMS code"),
        max_length=6,
        required=False,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
    )


def _password_field(label: Any, autocomplete: str = "current-password") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=128,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class JoinForm(forms.Form):
    mobile = MobileField()
    code = _code_field()
    name = forms.CharField(
        label=pgettext_lazy("portal", "Name"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = _password_field(
        gettext_lazy("Set a password (at least 8 characters)"), "new-password"
    )
    consent = forms.BooleanField(required=False)
    marketing = forms.BooleanField(required=False)


class SigninForm(forms.Form):
    mobile = MobileField()
    password = _password_field(gettext_lazy("Password"))
    code = _code_field()


class ResetForm(forms.Form):
    mobile = MobileField()
    code = _code_field()
    password = _password_field(gettext_lazy("New password (at least 8 characters)"), "new-password")


def _send_code(request: HttpRequest, form: forms.Form, purpose: str) -> None:
    try:
        services.code_request(mobile=form.cleaned_data["mobile"], purpose=purpose, ip=_ip(request))
    except DomainError as exc:
        form.add_error("mobile" if exc.field == "mobile" else None, str(exc.message))
    else:
        messages.success(request, _("The code was sent by SMS. It is valid for 5 minutes."))


def _error(form: forms.Form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


# ---------------------------------------------------------------------- join


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("t") or request.GET.get("t") or ""
    link: JoinLink | None = join_link_read(token)
    if link is None:
        return render(request, "portal/join_invalid.html", status=400)
    if current_member(request) is not None:
        messages.info(request, _("You are already a member and signed in."))
        return redirect("portal:home")
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "code":
            _send_code(request, form, VerificationCode.Purpose.JOIN)
        else:
            try:
                member = services.member_join(
                    services.JoinInput(
                        mobile=form.cleaned_data["mobile"],
                        name=form.cleaned_data["name"],
                        code=form.cleaned_data["code"],
                        password=form.cleaned_data["password"],
                        store_id=link.store_id,
                        staff_id=link.staff_id,
                        referrer_code=link.referrer_code,
                        consent=form.cleaned_data["consent"],
                        marketing=form.cleaned_data["marketing"],
                        ip=_ip(request),
                    )
                )
            except DomainError as exc:
                _error(form, exc)
                if exc.code == "already_member":
                    form.add_error(None, _("Use 'Sign in' below with your mobile number."))
            else:
                member_sign_in(request, member)
                messages.success(request, _("Welcome! You are now a member."))
                return redirect("portal:home")
    store = Store.objects.filter(pk=link.store_id, is_active=True).first()
    if store is None:
        return render(request, "portal/join_invalid.html", status=400)
    return render(
        request,
        "portal/join.html",
        {
            "form": form,
            "token": token,
            "store_name": store.name,
            "charter_url": reverse("portal:charter"),
            "privacy_url": reverse("portal:privacy_notice"),
        },
    )


# ---------------------------------------------------------------------- sign in / out


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    mode = "code" if (request.POST.get("mode") or request.GET.get("mode")) == "code" else "password"
    if request.method == "GET" and current_member(request) is not None:
        return redirect(_next(request))
    form = SigninForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "code":
            _send_code(request, form, VerificationCode.Purpose.SIGNIN)
        else:
            try:
                if mode == "code":
                    member = services.signin_code(
                        mobile=form.cleaned_data["mobile"],
                        code=form.cleaned_data["code"],
                        ip=_ip(request),
                    )
                else:
                    member = services.signin_password(
                        mobile=form.cleaned_data["mobile"],
                        password=form.cleaned_data["password"],
                        ip=_ip(request),
                    )
            except DomainError as exc:
                _error(form, exc)
            else:
                member_sign_in(request, member)
                return redirect(_next(request))
    return render(
        request, "portal/signin.html", {"form": form, "mode": mode, "next": _next(request)}
    )


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    member_sign_out(request)
    messages.info(request, _("You have signed out."))
    return redirect("portal:signin")


@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "code":
            _send_code(request, form, VerificationCode.Purpose.RESET)
        else:
            try:
                member: Member = services.password_reset(
                    mobile=form.cleaned_data["mobile"],
                    code=form.cleaned_data["code"],
                    password=form.cleaned_data["password"],
                    ip=_ip(request),
                )
            except DomainError as exc:
                _error(form, exc)
            else:
                member_sign_in(request, member)
                messages.success(request, _("Your password was changed. You are signed in."))
                return redirect("portal:home")
    return render(request, "portal/reset.html", {"form": form})


# ---------------------------------------------------------------------- documents


def document(request: HttpRequest, kind: str) -> HttpResponse:
    """The current member charter or privacy notice (public: read before joining)."""
    if kind not in Document.Kind.values:
        return render(request, "portal/not_found.html", status=404)
    version = selectors.current_version(kind)
    return render(
        request,
        "portal/document.html",
        {
            "version": version,
            "kind_label": Document.Kind(kind).label,
            "signed_in": current_member(request) is not None,
        },
    )
