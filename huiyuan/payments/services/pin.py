"""The payment PIN (支付密码, W2): set by the member, asked by the counter.

A member sets or changes a six-digit PIN (hashed with Django's password hasher). When a
sale pays at least the chain's threshold (``PinPolicy.threshold_fen``) from the stored
value of a member who has set a PIN, the sale must carry it (``pin_check``, called by the
sale participant inside the sale's transaction under the card's lock). A wrong PIN refuses
the sale — nothing of it is written — and is counted afterwards, in its own transaction
(``pin_failure_record``, from the participant's ``sale_refused``): after
``max_failures`` wrong PINs in a row the PIN is locked for ``lockout_minutes``. A right
PIN resets the count. Every change, failure and lockout is audited.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, DomainError, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.services import event_emit
from huiyuan.members.models import Member
from huiyuan.payments.models import PaymentPin, PinPolicy
from huiyuan.payments.services.common import member_self
from huiyuan.selfservice.actor import MemberActor

PIN_LENGTH = 6
MAX_LOCKOUT_MINUTES = 24 * 60
MAX_FAILURES = 20


class PinWrong(DomainError):
    status = 403
    code = "pin_wrong"


class PinLocked(DomainError):
    status = 423
    code = "pin_locked"


def _valid_pin(pin: object) -> bool:
    return isinstance(pin, str) and len(pin) == PIN_LENGTH and pin.isascii() and pin.isdigit()


def _require_pin_format(pin: object, field: str) -> str:
    if not _valid_pin(pin):
        raise ValidationFailed(_("A payment PIN is six digits."), code="pin_invalid", field=field)
    assert isinstance(pin, str)
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise ValidationFailed(
            _("Choose a PIN that is not a repeated or consecutive series of digits."),
            code="pin_too_simple",
            field=field,
        )
    return pin


def pin_is_set(member_id: int) -> bool:
    return PaymentPin.objects.filter(member_id=member_id).exists()


def _locked_until(pin: PaymentPin, now: dt.datetime) -> dt.datetime | None:
    return pin.locked_until if pin.locked_until and pin.locked_until > now else None


def _locked_error(until: dt.datetime) -> PinLocked:
    minutes = max(1, int((until - timezone.now()).total_seconds() // 60) + 1)
    return PinLocked(
        _("Too many wrong PINs: the payment PIN is locked for %(minutes)s more minutes.")
        % {"minutes": minutes},
        details={"locked_until": until.isoformat()},
    )


def pin_set(*, actor: MemberActor, new_pin: str, current_pin: str = "") -> PaymentPin:
    """Set the member's PIN, or change it (the current PIN is required and counted)."""
    new_pin = _require_pin_format(new_pin, "new_pin")
    now = timezone.now()
    with transaction.atomic():
        member = Member.objects.select_for_update().filter(pk=actor.member_id).first()
        if member is None or member.status != Member.Status.ACTIVE:
            raise Conflict(_("The member is not active."), code="member_not_active")
        pin = PaymentPin.objects.select_for_update().filter(member_id=member.pk).first()
        changing = pin is not None
        if pin is not None:
            until = _locked_until(pin, now)
            if until is not None:
                raise _locked_error(until)
            if not check_password(current_pin or "", pin.pin_hash):
                wrong = True
            else:
                wrong = False
                pin.pin_hash = make_password(new_pin)
                pin.failures = 0
                pin.locked_until = None
                pin.updated_at = now
                pin.save()
        else:
            wrong = False
            pin = PaymentPin.objects.create(
                member=member, pin_hash=make_password(new_pin), updated_at=now
            )
        if not wrong:
            audit_record(
                actor=member_self(actor),
                action="payment_pin.changed" if changing else "payment_pin.set",
                subject_type="member",
                subject_id=member.pk,
                member_id=member.pk,
                store_id=member.home_store_id,
            )
            return pin
    # The current PIN was wrong: count it in its own transaction, then refuse.
    pin_failure_record(actor=member_self(actor), member_id=actor.member_id)
    raise PinWrong(_("The current PIN is wrong."), field="current_pin")


def pin_check(*, member_id: int, pin: str | None, spend_fen: int) -> None:
    """Inside a sale's transaction: refuse unless this spend may go ahead.

    No PIN needed below the threshold or for a member who has not set one. A right PIN
    resets the failure count (in the sale's transaction); a wrong one raises ``PinWrong``,
    which the caller counts after the rollback with ``pin_failure_record``.
    """
    if spend_fen <= 0:
        return
    # One statement for the common case, a member without a PIN; the policy only after.
    record = PaymentPin.objects.select_for_update().filter(member_id=member_id).first()
    if record is None:
        return
    policy = PinPolicy.current()
    if spend_fen < policy.threshold_fen:
        return
    now = timezone.now()
    until = _locked_until(record, now)
    if until is not None:
        raise _locked_error(until)
    if not pin:
        raise ValidationFailed(
            _("This payment from the balance needs the member's payment PIN."),
            code="pin_required",
            field="pin",
        )
    if not _valid_pin(pin) or not check_password(pin, record.pin_hash):
        left = max(policy.max_failures - record.failures - 1, 0)
        raise PinWrong(
            _("Wrong payment PIN (%(left)s tries left before it locks).") % {"left": left},
            field="pin",
            details={"tries_left": left},
        )
    if record.failures or record.locked_until:
        record.failures = 0
        record.locked_until = None
        record.save(update_fields=["failures", "locked_until"])


def pin_failure_record(*, actor: Actor, member_id: int) -> None:
    """Count one wrong PIN, in its own transaction; lock the PIN at the policy's limit."""
    policy = PinPolicy.current()
    now = timezone.now()
    with transaction.atomic():
        record = PaymentPin.objects.select_for_update().filter(member_id=member_id).first()
        if record is None or _locked_until(record, now) is not None:
            return
        record.failures += 1
        locked = record.failures >= policy.max_failures
        if locked:
            record.failures = 0
            record.locked_until = now + dt.timedelta(minutes=policy.lockout_minutes)
        record.save(update_fields=["failures", "locked_until"])
        audit_record(
            actor=actor,
            action="payment_pin.locked" if locked else "payment_pin.failed",
            subject_type="member",
            subject_id=member_id,
            member_id=member_id,
            after={
                "failures": record.failures,
                "locked_until": record.locked_until.isoformat() if record.locked_until else None,
            },
        )
        if locked:
            event_emit(
                "payment_pin.locked",
                payload={"lockout_minutes": policy.lockout_minutes},
                member_id=member_id,
            )


def pin_policy_update(
    *, actor: Actor, threshold_fen: int, max_failures: int, lockout_minutes: int
) -> PinPolicy:
    """Change when the counter asks for the PIN and how it locks (head office)."""
    require(actor, Perm.WALLET_CONFIGURE)
    values = {
        "threshold_fen": threshold_fen,
        "max_failures": max_failures,
        "lockout_minutes": lockout_minutes,
    }
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationFailed(
                _("Enter a whole number, zero or more."), code="invalid_setting", field=name
            )
    if not 1 <= max_failures <= MAX_FAILURES:
        raise ValidationFailed(
            _("Allow between 1 and 20 failures."), code="invalid_setting", field="max_failures"
        )
    if not 1 <= lockout_minutes <= MAX_LOCKOUT_MINUTES:
        raise ValidationFailed(
            _("Lock for between 1 minute and 24 hours."),
            code="invalid_setting",
            field="lockout_minutes",
        )
    with transaction.atomic():
        PinPolicy.current()
        policy = PinPolicy.objects.select_for_update().get(pk=1)
        before = {name: getattr(policy, name) for name in values}
        for name, value in values.items():
            setattr(policy, name, value)
        policy.save()
        audit_record(
            actor=actor,
            action="pin_policy.updated",
            subject_type="pin_policy",
            subject_id=policy.pk,
            before=before,
            after=values,
        )
    return policy
