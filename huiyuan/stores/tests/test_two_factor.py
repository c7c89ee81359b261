"""Two-factor services: enrolment, verification by app code or backup code, renewal and
reset. Codes are real TOTP codes (django_otp.oath.totp)."""

from __future__ import annotations

import base64

import pytest
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.stores import two_factor
from huiyuan.stores.tests.totp import code_for, enrol

pytestmark = pytest.mark.django_db


def test_policy_covers_owner_and_hq_admin_by_default(staff) -> None:
    required = {role for role, person in staff.items() if two_factor.second_factor_required(person)}
    assert required == {Role.OWNER, Role.HQ_ADMIN}
    with override_settings(TWO_FACTOR_ROLES=frozenset({"cashier"})):
        assert two_factor.second_factor_required(staff[Role.CASHIER])
        assert not two_factor.second_factor_required(staff[Role.OWNER])


def test_the_secret_shown_is_the_device_key_in_base32(staff) -> None:
    device = two_factor.enrolment_device(staff=staff[Role.OWNER])
    text = two_factor.secret_text(device)
    groups = text.split(" ")
    assert len(groups) == 8 and all(len(g) == 4 for g in groups)
    assert base64.b32decode("".join(groups)) == device.bin_key
    # An app set up from the typed secret computes the same codes.
    assert totp(base64.b32decode("".join(groups))) == totp(device.bin_key)
    assert "secret=" + "".join(groups) in device.config_url
    assert device.config_url.startswith("otpauth://totp/huiyuan%3Aowner?")


def test_enrolment_confirms_and_makes_ten_backup_codes(staff) -> None:
    owner = staff[Role.OWNER]
    device, codes = enrol(owner)
    assert device.confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    assert two_factor.authenticator(owner) == device
    assert two_factor.backup_codes_left(owner) == 10
    assert two_factor.enrolled_staff_ids([owner.pk, staff[Role.HQ_ADMIN].pk]) == {owner.pk}
    event = AuditEvent.objects.get(action="staff.second_factor_enrolled")
    assert (event.subject_id, event.actor) == (str(owner.pk), owner)


def test_a_wrong_first_code_changes_nothing(staff) -> None:
    owner = staff[Role.OWNER]
    device = two_factor.enrolment_device(staff=owner)
    with pytest.raises(ValidationFailed) as refused:
        two_factor.enrolment_confirm(staff=owner, code="000000")
    assert refused.value.code == "wrong_code"
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1  # the throttle survives the refusal
    assert not StaticDevice.objects.exists()
    assert not AuditEvent.objects.filter(action="staff.second_factor_enrolled").exists()
    # Straight away again, even the right code waits for the throttle.
    with pytest.raises(ValidationFailed) as throttled:
        two_factor.enrolment_confirm(staff=owner, code=code_for(device))
    assert throttled.value.code == "throttled"


def test_enrolling_again_replaces_the_old_app_and_codes(staff) -> None:
    owner = staff[Role.OWNER]
    first, first_codes = enrol(owner)
    two_factor.staff_second_factor_reset(actor=owner.as_actor(), staff_id=owner.pk)
    second, second_codes = enrol(owner)
    assert list(TOTPDevice.objects.filter(user=owner)) == [second]
    assert second.key != first.key
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(second_codes)
    assert set(first_codes).isdisjoint(second_codes)


def test_verify_by_app_code_then_backup_code(staff) -> None:
    owner = staff[Role.OWNER]
    device, codes = enrol(owner)
    result = two_factor.verify(staff=owner, code=code_for(device))
    assert (result.outcome, result.device, result.method) == (
        two_factor.Outcome.VERIFIED,
        device,
        "totp",
    )
    result = two_factor.verify(staff=owner, code=f" {codes[3][:4]}-{codes[3][4:].upper()} ")
    assert (result.outcome, result.method) == (two_factor.Outcome.VERIFIED, "backup_code")
    assert two_factor.backup_codes_left(owner) == 9
    assert two_factor.verify(staff=owner, code=codes[3]).outcome is two_factor.Outcome.WRONG


def test_verify_refuses_wrong_codes_then_throttles(staff) -> None:
    owner = staff[Role.OWNER]
    device, _codes = enrol(owner)
    assert two_factor.verify(staff=owner, code="").outcome is two_factor.Outcome.WRONG
    assert (
        two_factor.verify(staff=owner, code="12345678901234567").outcome is two_factor.Outcome.WRONG
    )
    assert two_factor.verify(staff=owner, code="000000").outcome is two_factor.Outcome.WRONG
    result = two_factor.verify(staff=owner, code=code_for(device))
    assert result.outcome is two_factor.Outcome.THROTTLED
    assert result.retry_after == 1
    assert two_factor.verify(staff=staff[Role.HQ_ADMIN], code="123456").outcome is (
        two_factor.Outcome.WRONG
    )


def test_renewing_backup_codes_needs_the_app(staff) -> None:
    owner = staff[Role.OWNER]
    with pytest.raises(Conflict):
        two_factor.backup_codes_renew(staff=owner, code="123456")
    device, old = enrol(owner)
    with pytest.raises(ValidationFailed):
        two_factor.backup_codes_renew(staff=owner, code="000000")
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(old)
    device.throttling_failure_count = 0
    device.save()
    new = two_factor.backup_codes_renew(staff=owner, code=code_for(device))
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
    assert AuditEvent.objects.filter(action="staff.backup_codes_renewed").count() == 1


def test_reset_needs_staff_management_and_something_to_reset(staff, actors) -> None:
    hq = staff[Role.HQ_ADMIN]
    enrol(hq)
    with pytest.raises(PermissionDenied):
        two_factor.staff_second_factor_reset(actor=actors[Role.CASHIER], staff_id=hq.pk)
    # A store manager manages only its store's staff: head office does not exist for it.
    with pytest.raises(NotFound) as unknown:
        two_factor.staff_second_factor_reset(actor=actors[Role.STORE_MANAGER], staff_id=hq.pk)
    assert unknown.value.code == "unknown_staff"
    assert two_factor.authenticator(hq) is not None
    two_factor.staff_second_factor_reset(actor=actors[Role.OWNER], staff_id=hq.pk)
    assert two_factor.authenticator(hq) is None
    assert not StaticDevice.objects.filter(user=hq).exists()
    with pytest.raises(Conflict) as nothing:
        two_factor.staff_second_factor_reset(actor=actors[Role.OWNER], staff_id=hq.pk)
    assert nothing.value.code == "no_second_factor"
    assert AuditEvent.objects.filter(action="staff.second_factor_reset").count() == 1
