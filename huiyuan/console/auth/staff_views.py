"""The staff page's sign-in controls: unlock a locked account, reset a second factor."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiyuan.console.context import request_actor
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm, require
from huiyuan.stores import signin, two_factor
from huiyuan.stores.models import Staff


def annotate_signin_state(people: list[Staff]) -> list[Staff]:
    """Give each staff row ``signin_lock`` (or None), ``second_factor_required`` and
    ``second_factor_enrolled``, read in two queries for the whole page."""
    locks = signin.account_locks([p.username for p in people])
    enrolled = two_factor.enrolled_staff_ids([p.pk for p in people])
    for person in people:
        person.signin_lock = locks.get(signin.username_key(person.username))  # type: ignore[attr-defined]
        person.second_factor_required = person.role in settings.TWO_FACTOR_ROLES  # type: ignore[attr-defined]
        person.second_factor_enrolled = person.pk in enrolled  # type: ignore[attr-defined]
    return people


@staff_view
@require_POST
def staff_unlock(request: HttpRequest, staff_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.STAFF_MANAGE)
    try:
        staff = signin.staff_unlock(actor=actor, staff_id=staff_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(name)s can log in again.") % {"name": staff})
    return redirect("console:staff")


@staff_view
@require_POST
def staff_second_factor_reset(request: HttpRequest, staff_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.STAFF_MANAGE)
    try:
        staff = two_factor.staff_second_factor_reset(actor=actor, staff_id=staff_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("%(name)s's two-factor sign-in was reset; they set it up again at their next login.")
            % {"name": staff},
        )
    return redirect("console:staff")
