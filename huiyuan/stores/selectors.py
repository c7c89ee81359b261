"""Reads for stores, terminals, staff and API keys (O1, O2), limited to the actor's scope."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.stores.models import ApiKey, Staff, Store, Terminal


def _scoped_stores(actor: Actor) -> QuerySet[Store]:
    qs = Store.objects.all()
    if actor.store_ids is not None:
        qs = qs.filter(pk__in=actor.store_ids)
    return qs


def store_list(*, actor: Actor) -> QuerySet[Store]:
    """The actor's stores by code, each with ``member_count`` and ``terminal_count``."""
    require(actor, Perm.STORE_VIEW)
    return (
        _scoped_stores(actor)
        .annotate(
            member_count=Count("members", distinct=True),
            terminal_count=Count("terminals", distinct=True),
        )
        .order_by("code")
    )


def store_choices(*, actor: Actor) -> list[Store]:
    """Stores the actor may pick in a form or filter (no permission of its own needed)."""
    return list(_scoped_stores(actor).order_by("code"))


def store_get(*, actor: Actor, store_id: int) -> Store:
    """One of the actor's stores, or NotFound (a store outside the scope does not exist)."""
    require(actor, Perm.STORE_VIEW)
    store = _scoped_stores(actor).filter(pk=store_id).first()
    if store is None:
        raise NotFound(_("Unknown store."), code="unknown_store")
    return store


def terminal_list(
    *, actor: Actor, store_id: int | None = None, active_only: bool = False
) -> QuerySet[Terminal]:
    """Terminals of the actor's stores (or of one), with the count of active keys."""
    require(actor, Perm.STORE_VIEW)
    qs = Terminal.objects.select_related("store")
    if active_only:
        qs = qs.filter(is_active=True, store__is_active=True)
    if actor.store_ids is not None:
        qs = qs.filter(store_id__in=actor.store_ids)
    if store_id is not None:
        qs = qs.filter(store_id=store_id)
    return qs.annotate(
        active_key_count=Count("api_keys", filter=Q(api_keys__revoked_at__isnull=True)),
    ).order_by("store__code", "code")


def staff_list(*, actor: Actor) -> QuerySet[Staff]:
    """All staff with their stores, active first, then by user name."""
    require(actor, Perm.STAFF_MANAGE)
    qs = Staff.objects.prefetch_related(Prefetch("stores", queryset=Store.objects.order_by("code")))
    if actor.store_ids is not None:
        qs = qs.filter(stores__in=actor.store_ids).distinct()
    return qs.order_by("-is_active", "username")


def api_key_list(*, actor: Actor) -> QuerySet[ApiKey]:
    """API keys of terminals in the actor's stores, newest first. Never the key itself."""
    require(actor, Perm.APIKEY_MANAGE)
    qs = ApiKey.objects.select_related("terminal", "terminal__store", "created_by")
    if actor.store_ids is not None:
        qs = qs.filter(terminal__store_id__in=actor.store_ids)
    return qs.order_by("-created_at", "-id")


def staff_choices(*, actor: Actor) -> list[Staff]:
    """Staff the actor may filter by: everyone for head office, else colleagues of its stores."""
    qs = Staff.objects.all()
    if actor.store_ids is not None:
        qs = qs.filter(stores__in=actor.store_ids).distinct()
    return list(qs.order_by("username"))


def store_names() -> dict[int, str]:
    """Every store's name by id, to label ids recorded in snapshots (the audit log)."""
    return dict(Store.objects.values_list("pk", "name"))
