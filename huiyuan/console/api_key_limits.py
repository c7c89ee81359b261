"""An API key's scopes and requests per minute: the page linked from each key's row."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huiyuan.console.admin_forms import ApiKeyLimitsForm, add_domain_error
from huiyuan.console.context import request_actor
from huiyuan.core.errors import DomainError
from huiyuan.core.errors import PermissionDenied as DomainPermissionDenied
from huiyuan.core.permissions import Perm, require
from huiyuan.stores import selectors as store_selectors
from huiyuan.stores import services as store_services


@login_required
def api_key_limits(request: HttpRequest, api_key_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        require(actor, Perm.APIKEY_MANAGE)
    except DomainPermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc
    api_key = store_selectors.api_key_list(actor=actor).filter(pk=api_key_id).first()
    if api_key is None or not api_key.is_active:
        raise Http404
    initial = {"scopes": api_key.scopes, "rate_limit_per_minute": api_key.rate_limit_per_minute}
    form = ApiKeyLimitsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            store_services.api_key_update(
                actor=actor,
                api_key_id=api_key.pk,
                scopes=form.cleaned_data["scopes"],
                rate_limit_per_minute=form.cleaned_data["rate_limit_per_minute"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Scopes and limit of key %(prefix)s saved.") % {"prefix": api_key.prefix},
            )
            return redirect("console:api_keys")
    return render(request, "console/admin/api_key_limits.html", {"api_key": api_key, "form": form})
