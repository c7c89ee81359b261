"""Sign-in pages: password, then for owner and HQ roles the second factor (or its set-up).

A session becomes a logged-in session only in ``_complete_login``, after every factor the
policy asks for: until then the session holds only a short-lived "password passed" mark
(``PENDING_KEY``) that no other page accepts. Before a password or a code is checked, the
address delay and the account lock are applied (``huiyuan.stores.signin``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth import login as auth_login
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from huiyuan.cards.images import qr_svg
from huiyuan.console.auth.forms import CodeForm
from huiyuan.console.forms import LoginForm
from huiyuan.console.views import staff_view
from huiyuan.core.client import client_ip
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.stores import signin, two_factor
from huiyuan.stores.models import Staff
from huiyuan.stores.two_factor import Outcome, Verification

PENDING_KEY = "hy_signin_pending"
PENDING_SECONDS = 5 * 60
BACKUP_CODES_KEY = "hy_backup_codes"  # shown once on the next page, then dropped


# ------------------------------------------------------------------ pending sign-in


@dataclass(frozen=True)
class Pending:
    staff: Staff
    backend: str
    next_url: str


def _pending_start(request: HttpRequest, staff: Staff, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "staff": staff.pk,
        "backend": getattr(staff, "backend", "django.contrib.auth.backends.ModelBackend"),
        "next": next_url,
        "at": int(time.time()),
    }


def _pending(request: HttpRequest) -> Pending | None:
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or time.time() - data.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    staff = Staff.objects.filter(pk=int(data.get("staff") or 0), is_active=True).first()
    if staff is None:
        request.session.pop(PENDING_KEY, None)
        return None
    return Pending(staff=staff, backend=str(data["backend"]), next_url=str(data.get("next", "")))


def _safe_target(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return home_url(request.user)


def home_url(user: object) -> str:
    """Where a staff member lands: a cashier at the counter, everyone else on the
    dashboard."""
    if isinstance(user, Staff) and user.role == Role.CASHIER:
        return reverse("console:counter")
    return reverse("console:dashboard")


def _complete_login(
    request: HttpRequest,
    staff: Staff,
    *,
    backend: str,
    next_url: str,
    verification: Verification | None = None,
) -> HttpResponseRedirect:
    """Log in for real: the session, the audit row, and what the staff member must know."""
    summary = signin.failures_since_last_login(staff)  # before login() moves last_login
    request.session.pop(PENDING_KEY, None)
    auth_login(request, staff, backend=backend)
    if verification is not None and verification.device is not None:
        otp_login(request, verification.device)
    signin.login_record(
        staff=staff,
        ip=client_ip(request),
        second_factor=verification.method if verification is not None else "",
    )
    if summary.count:
        messages.warning(request, _failures_message(summary))
    if verification is not None and verification.method == "backup_code":
        left = two_factor.backup_codes_left(staff)
        if left <= two_factor.BACKUP_CODES_LOW:
            messages.warning(
                request,
                _(
                    "You have %(count)d backup codes left. Make new ones on the sign-in "
                    "security page."
                )
                % {"count": left},
            )
    return HttpResponseRedirect(_safe_target(request, next_url))


def _failures_message(summary: signin.FailureSummary) -> str:
    when = (
        formats.date_format(timezone.localtime(summary.latest_at), "Y-m-d H:i")
        if summary.latest_at
        else ""
    )
    text = ngettext(
        "Since your last login there was %(count)d failed attempt to log in as you, "
        "the latest at %(when)s from %(ip)s.",
        "Since your last login there were %(count)d failed attempts to log in as you, "
        "the latest at %(when)s from %(ip)s.",
        summary.count,
    ) % {"count": summary.count, "when": when, "ip": summary.latest_ip or "?"}
    if summary.locked:
        text += " " + _("Your account was locked because of them.")
    return text + " " + _("If this was not you, change your password.")


# ------------------------------------------------------------------------ refusals


def _refusal_page(
    request: HttpRequest, message: str, retry_after: int, *, username: str = "", next_url: str = ""
) -> HttpResponse:
    """The login page with why this attempt was not even checked (429, Retry-After)."""
    form = LoginForm(initial={"username": username})
    context = {"form": form, "next": next_url, "refusal": message}
    response = render(request, "console/login.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _address_refusal(request: HttpRequest, *, username: str, next_url: str) -> HttpResponse | None:
    wait = signin.address_wait_seconds(ip=client_ip(request))
    if not wait:
        return None
    message = _(
        "Too many failed logins from this network. Wait %(seconds)d seconds and try "
        "again; other accounts are not locked."
    ) % {"seconds": wait}
    return _refusal_page(request, message, wait, username=username, next_url=next_url)


def _locked_response(request: HttpRequest, username: str, next_url: str) -> HttpResponse:
    """The login page saying the account is locked (and for how long)."""
    lock = signin.account_lock(username)
    minutes = lock.minutes_left() if lock else max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
    message = _(
        "This account is locked after too many failed attempts. Try again in %(minutes)d "
        "minutes, or ask an owner or HQ admin to unlock it on the Staff page."
    ) % {"minutes": minutes}
    return _refusal_page(request, message, minutes * 60, username=username, next_url=next_url)


def _record_lockout_if_new(request: HttpRequest, username: str) -> bool:
    """After a failure: is the account locked now? Audits the failure that locked it."""
    if not getattr(request, "axes_locked_out", False):
        return False
    if getattr(request, "axes_failures_since_start", None) == settings.LOGIN_FAILURE_LIMIT:
        signin.lockout_record(username=username, ip=client_ip(request))
    return True


def _code_failed(request: HttpRequest, staff: Staff) -> bool:
    """A wrong second-factor code counts as a failed login of the account; locked now?"""
    user_login_failed.send(
        sender=__name__, credentials={"username": staff.username}, request=request
    )
    return _record_lockout_if_new(request, staff.username)


# --------------------------------------------------------------------------- views


@never_cache
def login_view(request: HttpRequest) -> HttpResponseBase:
    if request.user.is_authenticated:
        return HttpResponseRedirect(home_url(request.user))
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    context: dict[str, Any] = {"form": form, "next": next_url}
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        refusal = _address_refusal(request, username=username, next_url=next_url)
        if refusal is not None:
            return refusal
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if isinstance(user, Staff):
            if two_factor.second_factor_required(user):
                _pending_start(request, user, next_url)
                enrolled = two_factor.authenticator(user) is not None
                return redirect("console:login_verify" if enrolled else "console:login_enrol")
            return _complete_login(
                request, user, backend=getattr(user, "backend", ""), next_url=next_url
            )
        if _record_lockout_if_new(request, username):
            return _locked_response(request, username, next_url)
        form.add_error(None, _("Wrong user name or password."))
    return render(request, "console/login.html", context)


def _pending_or_restart(request: HttpRequest) -> Pending | HttpResponseRedirect:
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Sign-in timed out. Enter your user name and password again."))
        return redirect("console:login")
    return pending


def _locked_before_code(request: HttpRequest, pending: Pending) -> HttpResponse | None:
    if AxesProxyHandler.is_locked(request, {"username": pending.staff.username}):
        request.session.pop(PENDING_KEY, None)
        return _locked_response(request, pending.staff.username, pending.next_url)
    return None


@never_cache
def login_verify(request: HttpRequest) -> HttpResponseBase:
    """Second step for owner and HQ roles: a code from the app, or a backup code."""
    pending = _pending_or_restart(request)
    if not isinstance(pending, Pending):
        return pending
    if two_factor.authenticator(pending.staff) is None:
        return redirect("console:login_enrol")
    form = CodeForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "staff": pending.staff}
    status = 200
    if request.method == "POST" and form.is_valid():
        refusal = _address_refusal(request, username="", next_url=pending.next_url)
        if refusal is None:
            refusal = _locked_before_code(request, pending)
        if refusal is not None:
            return refusal
        result = two_factor.verify(staff=pending.staff, code=form.cleaned_data["code"])
        if result.outcome is Outcome.VERIFIED:
            return _complete_login(
                request,
                pending.staff,
                backend=pending.backend,
                next_url=pending.next_url,
                verification=result,
            )
        if result.outcome is Outcome.THROTTLED:
            status = 429
            form.add_error(
                "code",
                _("Too many wrong codes. Wait %(seconds)d seconds and try again.")
                % {"seconds": result.retry_after},
            )
        else:
            if _code_failed(request, pending.staff):
                request.session.pop(PENDING_KEY, None)
                return _locked_response(request, pending.staff.username, pending.next_url)
            form.add_error("code", _("The code is not right."))
    return render(request, "console/auth/verify.html", context, status=status)


@never_cache
def login_enrol(request: HttpRequest) -> HttpResponseBase:
    """First sign-in of an owner or HQ admin: set up the authenticator app."""
    pending = _pending_or_restart(request)
    if not isinstance(pending, Pending):
        return pending
    if two_factor.authenticator(pending.staff) is not None:
        return redirect("console:login_verify")
    device = two_factor.enrolment_device(staff=pending.staff)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        refusal = _address_refusal(request, username="", next_url=pending.next_url)
        if refusal is None:
            refusal = _locked_before_code(request, pending)
        if refusal is not None:
            return refusal
        try:
            codes = two_factor.enrolment_confirm(
                staff=pending.staff, code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            form.add_error("code", str(exc.message))
            status = 429 if exc.code == "throttled" else 200
        else:
            _complete_login(
                request,
                pending.staff,
                backend=pending.backend,
                next_url=pending.next_url,
                verification=Verification(
                    Outcome.VERIFIED, device=two_factor.authenticator(pending.staff), method="totp"
                ),
            )
            request.session[BACKUP_CODES_KEY] = codes
            messages.success(request, _("Two-factor sign-in is set up."))
            target = reverse("console:backup_codes")
            if pending.next_url:
                target += "?" + urlencode({"next": pending.next_url})
            return redirect(target)
    return render(
        request,
        "console/auth/enrol.html",
        {
            "form": form,
            "staff": pending.staff,
            "secret": two_factor.secret_text(device),
            "issuer": settings.OTP_TOTP_ISSUER,
        },
        status=status,
    )


@never_cache
def login_enrol_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the secret being enrolled (an image the enrolment page shows)."""
    pending = _pending(request)
    if pending is None or two_factor.authenticator(pending.staff) is not None:
        raise Http404
    device = two_factor.enrolment_device(staff=pending.staff)
    return HttpResponse(qr_svg(device.config_url), content_type="image/svg+xml")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("console:login")


# ------------------------------------------------------------------ own security


@staff_view
@never_cache
def backup_codes(request: HttpRequest) -> HttpResponseBase:
    """The backup codes just made, shown once."""
    codes = request.session.pop(BACKUP_CODES_KEY, None)
    if not codes:
        return redirect("console:signin_security")
    return render(
        request,
        "console/auth/backup_codes.html",
        {"codes": codes, "next": _safe_target(request, request.GET.get("next", ""))},
    )


@staff_view
@never_cache
def signin_security(request: HttpRequest) -> HttpResponseBase:
    """The staff member's own sign-in security: second factor, backup codes left."""
    staff = request.user
    assert isinstance(staff, Staff)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.backup_codes_renew(staff=staff, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", str(exc.message))
        else:
            request.session[BACKUP_CODES_KEY] = codes
            return redirect("console:backup_codes")
    return render(
        request,
        "console/auth/security.html",
        {
            "form": form,
            "required": two_factor.second_factor_required(staff),
            "enrolled": two_factor.authenticator(staff) is not None,
            "codes_left": two_factor.backup_codes_left(staff),
        },
    )
