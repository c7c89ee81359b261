"""Packages: opening one, one use per visit (核销), undoing a use.

Lock order (after the card lock a sale or return may hold): the member row → the package
row. Everything a use depends on — the package's status and validity on the store's local
date, what is left of the item, the uses already made in the limit period, the stores that
accept it, the member's status — is read after those locks and decided under them, so
twenty cashiers using one ten-visit card at once make exactly ten uses.

``package_use`` is the general deduction ("N uses per period" included): a benefit card that
grants free uses per month opens a package through ``package_open`` and uses it the same way.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import member_lock
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import RetryTransaction
from huiyuan.events.services import event_emit
from huiyuan.ledger.commands import command_run
from huiyuan.members.models import Member
from huiyuan.packages import rules
from huiyuan.packages.models import (
    Activation,
    MemberPackage,
    PackageItem,
    PackagePlan,
    PackageUse,
)

CODE_DIGITS = 12
MAX_NOTE = 200


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _new_code() -> str:
    for _attempt in range(5):
        code = "P" + "".join(str(secrets.randbelow(10)) for _ in range(CODE_DIGITS))
        if not MemberPackage.objects.filter(code=code).exists():
            return code
    raise RetryTransaction()


# ------------------------------------------------------------------------------ opening


def package_open(
    *,
    actor: Actor,
    plan: PackagePlan,
    store_id: int,
    member_id: int | None,
    card_id: int | None,
    paid_fen: int,
    now: dt.datetime,
    sale_id: int | None = None,
    sale_line_id: int | None = None,
    unit_index: int = 0,
    validity: tuple[dt.date, dt.date | None] | None = None,
) -> MemberPackage:
    """Open one package of ``plan`` in the caller's transaction (a sale's, or a benefit
    card's): the plan's terms are copied; validity starts today unless it starts at the
    first use. ``validity``: the first and last valid dates given by the caller (a benefit
    card's free uses last as long as the card), instead of the plan's."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a package is opened inside the transaction that pays for it")
    today = local_date(now)
    starts = plan.activation == Activation.SALE or validity is not None
    package = MemberPackage.objects.create(
        code=_new_code(),
        plan=plan,
        kind=plan.kind,
        name=plan.name,
        member_id=member_id,
        card_id=card_id,
        store_id=store_id,
        sale_id=sale_id,
        sale_line_id=sale_line_id,
        unit_index=unit_index,
        paid_fen=paid_fen,
        validity_value=plan.validity_value,
        validity_unit=plan.validity_unit,
        limit_count=plan.limit_count,
        limit_period=plan.limit_period,
        all_stores=plan.all_stores,
        store_ids=list(plan.store_ids),
        refund_fee_fen=plan.refund_fee_fen,
        refund_fee_bp=plan.refund_fee_bp,
        valid_from=validity[0] if validity else today if starts else None,
        valid_until=(
            validity[1]
            if validity
            else rules.valid_until(today, plan.validity_value, plan.validity_unit)
            if starts
            else None
        ),
        created_at=now,
    )
    PackageItem.objects.bulk_create(
        PackageItem(package=package, position=item.position, name=item.name, total=item.uses)
        for item in plan.items.all()
    )
    audit_record(
        actor=actor,
        action="package.opened",
        subject_type="package",
        subject_id=package.pk,
        member_id=member_id,
        after={"code": package.code, "plan": plan.pk, "paid": paid_fen, "sale": sale_id},
        store_id=store_id,
    )
    event_emit(
        "package.opened",
        payload={
            "package_id": package.pk,
            "plan_id": plan.pk,
            "sale_id": sale_id,
            "card_id": card_id,
            "paid_fen": paid_fen,
        },
        member_id=member_id,
        store_id=store_id,
    )
    return package


# -------------------------------------------------------------------------------- locks


def package_lock(package_id: int) -> MemberPackage:
    """Lock the package's member, then the package (the fixed order). Inside a transaction."""
    member_id = (
        MemberPackage.objects.filter(pk=package_id).values_list("member_id", flat=True).first()
    )
    member = member_lock(member_id) if member_id is not None else None
    package = (
        MemberPackage.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=package_id)
        .first()
    )
    if package is None:
        raise NotFound(_("Package not found."), code="package_not_found")
    if package.member_id != member_id:
        raise RetryTransaction()  # moved to another member (a merge) between the two locks
    if member is not None:
        package.member = member
    return package


def _require_open(package: MemberPackage, today: dt.date) -> None:
    if package.status in (MemberPackage.Status.REFUNDED, MemberPackage.Status.CANCELLED):
        raise Conflict(_("This package is closed."), code="package_closed")
    expired = package.valid_until is not None and package.valid_until < today
    if package.status == MemberPackage.Status.EXPIRED or expired:
        raise Conflict(
            _("This package expired on %(date)s.") % {"date": package.valid_until},
            code="package_expired",
        )
    if package.valid_from is not None and package.valid_from > today:
        raise Conflict(_("This package is not valid yet."), code="package_not_yet_valid")


def _require_store(package: MemberPackage, store_id: int | None) -> int:
    if store_id is None:
        raise ValidationFailed(_("Choose the store you work at."), code="store_required")
    if not package.all_stores and store_id not in package.store_ids:
        raise Conflict(
            _("This package cannot be used at this store."),
            code="package_store_not_allowed",
            details={"store_id": store_id},
        )
    return store_id


def _require_member(member: Member | None) -> None:
    if member is None:
        return
    if member.status != Member.Status.ACTIVE:
        raise Conflict(_("The member is not active."), code="member_not_active")
    if member.spend_frozen:
        raise Conflict(_("Spending is frozen for this member."), code="member_spend_frozen")


def uses_in_period(package: MemberPackage, today: dt.date) -> int:
    """Uses of the package (not undone) in the limit period holding ``today``."""
    first, last = rules.period_bounds(today, package.limit_period)
    return PackageUse.objects.filter(
        package=package,
        kind=PackageUse.Kind.USE,
        business_date__gte=first,
        business_date__lte=last,
        reversed_by__isnull=True,
    ).count()


def _item_for(package: MemberPackage, item_id: int | None) -> PackageItem:
    items = list(package.items.all())
    if item_id is None:
        if len(items) != 1:
            raise ValidationFailed(
                _("Choose which item is used."), code="item_required", field="item_id"
            )
        return items[0]
    for item in items:
        if item.pk == item_id:
            return item
    raise NotFound(_("This package has no such item."), code="item_not_found")


# ---------------------------------------------------------------------------------- use


def _use_load(use_id: int) -> PackageUse:
    return PackageUse.objects.select_related("package", "item").get(pk=use_id)


def package_use(
    *,
    actor: Actor,
    package_id: int,
    item_id: int | None = None,
    note: str = "",
    idempotency_key: str,
) -> PackageUse:
    """One visit: take one use of the item at the actor's store, the member present."""
    require(actor, Perm.SALE_CREATE)
    if not _int(package_id) or (item_id is not None and not _int(item_id)):
        raise NotFound(_("Package not found."), code="package_not_found")
    note = (note or "").strip()[:MAX_NOTE]

    def perform() -> PackageUse:
        now = timezone.now()
        package = package_lock(package_id)
        today = local_date(now)
        store_id = _require_store(package, actor.store_id)
        _require_member(package.member)
        _require_open(package, today)
        item = _item_for(package, item_id)
        if item.remaining is not None and item.remaining <= 0:
            raise Conflict(
                _("No uses left of %(item)s.") % {"item": item.name}, code="package_used_up"
            )
        if package.limit_count is not None:
            done = uses_in_period(package, today)
            if done >= package.limit_count:
                raise Conflict(
                    _("The limit of %(limit)s uses %(period)s is reached.")
                    % {"limit": package.limit_count, "period": _period_label(package)},
                    code="package_limit_reached",
                    details={"limit": package.limit_count, "used": done},
                )
        if package.valid_from is None:  # validity starts at the first use
            package.valid_from = today
            package.valid_until = rules.valid_until(
                today, package.validity_value, package.validity_unit
            )
            package.save(update_fields=["valid_from", "valid_until"])
        PackageItem.objects.filter(pk=item.pk).update(used=F("used") + 1)
        item.used += 1
        use = PackageUse.objects.create(
            package=package,
            item=item,
            store_id=store_id,
            operator=actor.staff,
            member_id=package.member_id,
            business_date=today,
            note=note,
            remaining_after=item.remaining,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="package.used",
            subject_type="package",
            subject_id=package.pk,
            member_id=package.member_id,
            after={"use": use.pk, "item": item.name, "remaining": item.remaining},
            note=note,
            store_id=store_id,
        )
        event_emit(
            "package.used",
            payload={
                "package_id": package.pk,
                "use_id": use.pk,
                "item_id": item.pk,
                "remaining": item.remaining,
            },
            member_id=package.member_id,
            store_id=store_id,
        )
        return use

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="package_use",
        payload={"package": package_id, "item": item_id, "note": note},
        perform=perform,
        load=_use_load,
    )


def _period_label(package: MemberPackage) -> str:
    from huiyuan.packages.models import LimitPeriod

    return str(LimitPeriod(package.limit_period).label)


def package_use_undo(*, actor: Actor, use_id: int, reason: str, idempotency_key: str) -> PackageUse:
    """Undo a use (a manager): a reversing record; the use is given back."""
    require(actor, Perm.SALE_REVERSE)
    reason = (reason or "").strip()[:MAX_NOTE]
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")
    if not _int(use_id):
        raise NotFound(_("Use not found."), code="use_not_found")

    def perform() -> PackageUse:
        now = timezone.now()
        package_id = PackageUse.objects.filter(pk=use_id).values_list("package_id", flat=True)
        if not package_id:
            raise NotFound(_("Use not found."), code="use_not_found")
        package = package_lock(package_id[0])
        use = PackageUse.objects.select_related("item").get(pk=use_id)
        if use.kind != PackageUse.Kind.USE:
            raise Conflict(_("Only a use can be undone."), code="not_a_use")
        if PackageUse.objects.filter(reverses=use).exists():
            raise Conflict(_("This use was already undone."), code="use_already_undone")
        if package.status in (MemberPackage.Status.REFUNDED, MemberPackage.Status.CANCELLED):
            raise Conflict(_("This package is closed."), code="package_closed")
        if actor.store_id is not None and not actor.covers_store(use.store_id):
            raise Conflict(_("Undo a use at the store where it was made."), code="use_other_store")
        item = use.item
        PackageItem.objects.filter(pk=item.pk).update(used=F("used") - 1)
        item.used -= 1
        undo = PackageUse.objects.create(
            package=package,
            item=item,
            kind=PackageUse.Kind.UNDO,
            reverses=use,
            store_id=use.store_id,
            operator=actor.staff,
            member_id=package.member_id,
            business_date=local_date(now),
            note=reason,
            remaining_after=item.remaining,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="package.use_undone",
            subject_type="package",
            subject_id=package.pk,
            member_id=package.member_id,
            before={"use": use.pk},
            after={"undo": undo.pk, "remaining": item.remaining},
            note=reason,
            store_id=use.store_id,
        )
        event_emit(
            "package.use_undone",
            payload={
                "package_id": package.pk,
                "use_id": use.pk,
                "undo_id": undo.pk,
                "remaining": item.remaining,
            },
            member_id=package.member_id,
            store_id=use.store_id,
        )
        return undo

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="package_use_undo",
        payload={"use": use_id, "reason": reason},
        perform=perform,
        load=_use_load,
    )


def packages_move_to_survivor(actor: Actor, survivor: Member, duplicate: Member) -> None:
    """Merge step: the duplicate's packages go to the survivor."""
    MemberPackage.objects.filter(member=duplicate).update(member=survivor)
    PackageUse.objects.filter(member=duplicate).update(member=survivor)
