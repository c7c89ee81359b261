"""Reads of shifts: one shift with its takings, the open shift of a cashier, a day's shifts."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.core.clock import local_day_bounds
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.shifts.models import Shift
from huiyuan.stores.scope import stores_in_view


def _related(rows: QuerySet[Shift]) -> QuerySet[Shift]:
    return rows.select_related("store", "terminal", "cashier", "closed_by", "previous")


def shift_get(*, actor: Actor, shift_id: int) -> Shift:
    """A shift its cashier, or a viewer of its store's reports, may see."""
    shift = _related(Shift.objects.filter(pk=shift_id)).first()
    if shift is None or not actor.covers_store(shift.store_id):
        raise NotFound(_("Shift not found."), code="shift_not_found")
    own = actor.staff is not None and actor.staff.pk == shift.cashier_id
    if not own:
        require(actor, Perm.REPORT_VIEW)
    return shift


def shift_current(*, actor: Actor) -> Shift | None:
    """The actor's open shift at the store they work at."""
    if actor.staff is None or actor.store_id is None:
        return None
    return _related(
        Shift.objects.filter(cashier=actor.staff, store_id=actor.store_id, status=Shift.Status.OPEN)
    ).first()


def shifts_of_day(*, actor: Actor, day: dt.date, store_id: int | None = None) -> list[Shift]:
    """The shifts opened on the local ``day`` at the stores in view, plus those still open
    from before (a manager's daily view)."""
    require(actor, Perm.REPORT_VIEW)
    in_view = stores_in_view(actor, store_id)
    start, end = local_day_bounds(day)
    rows = Shift.objects.filter(opened_at__gte=start, opened_at__lt=end) | Shift.objects.filter(
        opened_at__lt=start, status=Shift.Status.OPEN
    )
    if in_view is not None:
        rows = rows.filter(store_id__in=in_view)
    return list(_related(rows).order_by("store__code", "opened_at", "id"))


def store_terminals(store_id: int) -> list[tuple[int, str]]:
    """The store's active terminals, for choosing where a shift runs."""
    from huiyuan.stores.models import Terminal

    return [
        (t.pk, t.name)
        for t in Terminal.objects.filter(store_id=store_id, is_active=True).order_by("code")
    ]


def store_cashiers(store_id: int) -> list[tuple[int, str]]:
    """Staff who may take over a shift at the store (its staff who can sell)."""
    from huiyuan.core.permissions import ROLE_PERMS, Role
    from huiyuan.stores.models import Staff

    roles = [r.value for r in Role if Perm.SALE_CREATE in ROLE_PERMS[r]]
    rows = Staff.objects.filter(is_active=True, role__in=roles, stores__id=store_id).distinct()
    return [(s.pk, str(s)) for s in rows.order_by("username")]
