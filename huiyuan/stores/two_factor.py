"""Two-factor sign-in for staff (django-otp): an authenticator app (TOTP) and single-use
backup codes (django-otp's static device).

Policy: the roles in ``settings.TWO_FACTOR_ROLES`` (owner and HQ admin by default) pass a
second factor after the password, every time. A staff member of such a role without a
confirmed authenticator enrols at their next login, right after the password: the
console shows a QR code and the secret, the first code from the app confirms it, and ten
backup codes are shown once. An owner or HQ admin can reset another's second factor (a
lost phone); that person enrols again at their next login.

Wrong codes are throttled per device by django-otp (1, 2, 4 … seconds) and also count as
failed logins for the account's lockout (``huiyuan.stores.signin``).
"""

from __future__ import annotations

import base64
import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.stores.models import Staff
from huiyuan.stores.services import staff_require_manageable

BACKUP_CODE_COUNT = 10
BACKUP_CODES_LOW = 2  # at or below this many left, the staff member is told to renew
AUTHENTICATOR_NAME = "authenticator"
BACKUP_NAME = "backup"


def second_factor_required(staff: Staff) -> bool:
    return staff.role in settings.TWO_FACTOR_ROLES


def authenticator(staff: Staff) -> TOTPDevice | None:
    """The staff member's confirmed authenticator, if enrolled."""
    return TOTPDevice.objects.filter(user=staff, confirmed=True).order_by("-id").first()


def enrolled_staff_ids(staff_ids: list[int]) -> set[int]:
    """Which of these staff have a confirmed authenticator (one query, for lists)."""
    return set(
        TOTPDevice.objects.filter(user_id__in=staff_ids, confirmed=True).values_list(
            "user_id", flat=True
        )
    )


def backup_codes_left(staff: Staff) -> int:
    return StaticToken.objects.filter(device__user=staff, device__confirmed=True).count()


def secret_text(device: TOTPDevice) -> str:
    """The secret in Base32, in groups of four, as authenticator apps ask to type it."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


# ------------------------------------------------------------------------ enrolment


def enrolment_device(*, staff: Staff) -> TOTPDevice:
    """The authenticator being enrolled: the pending one, or a new secret.

    Reloading the enrolment page shows the same secret until it is confirmed.
    """
    device = TOTPDevice.objects.filter(user=staff, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=staff, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def enrolment_confirm(*, staff: Staff, code: str) -> list[str]:
    """Confirm the pending authenticator with its first code; returns the backup codes.

    Replaces any earlier authenticator and backup codes of this staff member.
    """
    device = TOTPDevice.objects.filter(user=staff, confirmed=False).order_by("-id").first()
    if device is None:
        raise Conflict(_("Start the set-up again."), code="no_pending_authenticator")
    _refuse_if_throttled(device)
    # Verified outside the transaction below: a wrong code's throttling must stay saved.
    if not device.verify_token(_digits(code)):
        raise ValidationFailed(
            _("The code is not right. Check the phone's clock and enter the current code."),
            code="wrong_code",
            field="code",
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=staff).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _backup_codes_replace(staff)
        audit_record(
            actor=staff.as_actor(),
            action="staff.second_factor_enrolled",
            subject_type="staff",
            subject_id=staff.pk,
        )
    return codes


def backup_codes_renew(*, staff: Staff, code: str) -> list[str]:
    """New backup codes (the old ones stop working), confirmed by a current app code."""
    device = authenticator(staff)
    if device is None:
        raise Conflict(_("Set up an authenticator app first."), code="no_authenticator")
    _refuse_if_throttled(device)
    if not device.verify_token(_digits(code)):
        raise ValidationFailed(
            _("The code is not right. Enter the current code from the app."),
            code="wrong_code",
            field="code",
        )
    with transaction.atomic():
        codes = _backup_codes_replace(staff)
        audit_record(
            actor=staff.as_actor(),
            action="staff.backup_codes_renewed",
            subject_type="staff",
            subject_id=staff.pk,
        )
    return codes


def second_factor_provision(*, staff: Staff, key: str, backup_codes: Sequence[str]) -> bool:
    """Install a known secret (hex) and backup codes, as the demo's printed ones.

    Idempotent: returns False and changes nothing when exactly these are in place; a used
    backup code is put back. Any other authenticator of the staff member is removed.
    """
    codes = sorted({c.strip().lower() for c in backup_codes})
    device = authenticator(staff)
    tokens = sorted(
        StaticToken.objects.filter(device__user=staff, device__confirmed=True).values_list(
            "token", flat=True
        )
    )
    others = TOTPDevice.objects.filter(user=staff).exclude(pk=device.pk if device else None)
    if device is not None and device.key == key and tokens == codes and not others.exists():
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=staff).delete()
        TOTPDevice.objects.create(user=staff, name=AUTHENTICATOR_NAME, key=key, confirmed=True)
        StaticDevice.objects.filter(user=staff).delete()
        backup = StaticDevice.objects.create(user=staff, name=BACKUP_NAME, confirmed=True)
        StaticToken.objects.bulk_create([StaticToken(device=backup, token=c) for c in codes])
        audit_record(
            actor=staff.as_actor(),
            action="staff.second_factor_enrolled",
            subject_type="staff",
            subject_id=staff.pk,
            note="provisioned",
        )
    return True


def _backup_codes_replace(staff: Staff) -> list[str]:
    StaticDevice.objects.filter(user=staff).delete()
    device = StaticDevice.objects.create(user=staff, name=BACKUP_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


# --------------------------------------------------------------------- verification


class Outcome(enum.Enum):
    VERIFIED = "verified"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class Verification:
    outcome: Outcome
    device: Device | None = None
    method: str = ""  # "totp" or "backup_code"
    retry_after: int = 0  # seconds, when throttled


def verify(*, staff: Staff, code: str) -> Verification:
    """Check a code from the authenticator (6 digits) or a backup code (single use)."""
    text = (code or "").strip().replace(" ", "").replace("-", "").lower()
    if text.isdigit() and len(text) < 8:  # app codes: 6 digits; backup codes: 8 characters
        device: Device | None = authenticator(staff)
        method = "totp"
    else:
        device = StaticDevice.objects.filter(user=staff, confirmed=True).first()
        method = "backup_code"
    if device is None or not text or len(text) > 16:
        return Verification(Outcome.WRONG)
    allowed, info = device.verify_is_allowed()
    if not allowed:
        return Verification(Outcome.THROTTLED, retry_after=_seconds_until(info))
    if device.verify_token(text):
        return Verification(Outcome.VERIFIED, device=device, method=method)
    return Verification(Outcome.WRONG)


def _digits(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())[:8]


def _seconds_until(info: dict[str, object] | None) -> int:
    until = (info or {}).get("locked_until")
    if until is None:
        return 1
    return max(1, math.ceil((until - timezone.now()).total_seconds()))  # type: ignore[operator]


def _refuse_if_throttled(device: Device) -> None:
    allowed, info = device.verify_is_allowed()
    if not allowed:
        raise ValidationFailed(
            _("Too many wrong codes. Wait %(seconds)d seconds and try again.")
            % {"seconds": _seconds_until(info)},
            code="throttled",
            field="code",
        )


# ------------------------------------------------------------------------ managing


def staff_second_factor_reset(*, actor: Actor, staff_id: int) -> Staff:
    """Remove a staff member's authenticator and backup codes; they enrol again at login."""
    require(actor, Perm.STAFF_MANAGE)
    with transaction.atomic():
        staff = Staff.objects.select_for_update().filter(pk=staff_id).first()
        if staff is None:
            raise NotFound(_("Unknown staff member."), code="unknown_staff")
        staff_require_manageable(actor, staff)  # a store manager: their own staff
        removed, _counts = TOTPDevice.objects.filter(user=staff).delete()
        removed += StaticDevice.objects.filter(user=staff).delete()[0]
        if not removed:
            raise Conflict(
                _("No second factor is set up for this account."), code="no_second_factor"
            )
        audit_record(
            actor=actor,
            action="staff.second_factor_reset",
            subject_type="staff",
            subject_id=staff.pk,
        )
    return staff
