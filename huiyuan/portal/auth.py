"""Member sign-in for the portal, separate from staff sign-in.

A member's session holds ``portal_member_id`` (and a hash of their password, so a password
change signs out every other session). It never touches Django's staff auth keys: a staff
login does not make anyone a member, and a member sign-in does not make anyone staff.
The session key is rotated on every sign-in and sign-out (no session fixation).

Use :func:`member_required` on every portal view that needs a member::

    @member_required
    def my_view(request: HttpRequest) -> HttpResponse:
        request.member          # huiyuan.members.models.Member (active)
        request.member_actor    # huiyuan.selfservice.actor.MemberActor
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from huiyuan.core.errors import NotFound
from huiyuan.members.models import Member
from huiyuan.selfservice.actor import MemberActor

SESSION_MEMBER = "portal_member_id"
SESSION_HASH = "portal_member_hash"


def _credential_hash(member_id: int) -> str:
    from huiyuan.selfservice.models import MemberCredential

    password = (
        MemberCredential.objects.filter(member_id=member_id)
        .values_list("password", flat=True)
        .first()
    )
    return salted_hmac("huiyuan.portal.session", f"{member_id}:{password or ''}").hexdigest()


def member_sign_in(request: HttpRequest, member: Member) -> None:
    """Start a member session: new session key, member id and credential hash."""
    request.session.cycle_key()
    request.session[SESSION_MEMBER] = member.pk
    request.session[SESSION_HASH] = _credential_hash(member.pk)


def member_sign_out(request: HttpRequest) -> None:
    """End the member session (the staff session keys, if any, are left alone)."""
    request.session.pop(SESSION_MEMBER, None)
    request.session.pop(SESSION_HASH, None)
    request.session.cycle_key()


def current_member(request: HttpRequest) -> Member | None:
    """The signed-in, active member of this session, or None."""
    member_id = request.session.get(SESSION_MEMBER)
    if not isinstance(member_id, int):
        return None
    member = Member.objects.filter(pk=member_id, status=Member.Status.ACTIVE).first()
    if member is None:
        return None
    if not constant_time_compare(
        request.session.get(SESSION_HASH, ""), _credential_hash(member_id)
    ):
        return None
    return member


def signin_url(next_path: str = "") -> str:
    url = reverse("portal:signin")
    if next_path:
        url += "?" + urlencode({"next": next_path})
    return url


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only a signed-in member; sets ``request.member`` and ``request.member_actor``.

    Anyone else is redirected to the portal sign-in page, which comes back afterwards.
    A ``NotFound`` raised by the view (``own()`` on someone else's object) becomes a 404.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member = current_member(request)
        if member is None:
            if SESSION_MEMBER in request.session:
                member_sign_out(request)
            return HttpResponseRedirect(signin_url(request.get_full_path()))
        request.member = member  # type: ignore[attr-defined]
        request.member_actor = MemberActor(member_id=member.pk)  # type: ignore[attr-defined]
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return render(request, "portal/not_found.html", status=404)

    return wrapper


def member_of(request: HttpRequest) -> Member:
    """``request.member`` with its type (inside a ``member_required`` view)."""
    member: Member = request.member  # type: ignore[attr-defined]
    return member


def actor_of(request: HttpRequest) -> MemberActor:
    """``request.member_actor`` with its type (inside a ``member_required`` view)."""
    actor: MemberActor = request.member_actor  # type: ignore[attr-defined]
    return actor
