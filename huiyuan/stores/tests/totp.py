"""Test helpers: real TOTP codes computed the way an authenticator app does (RFC 6238)."""

from __future__ import annotations

import time

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from huiyuan.stores import two_factor
from huiyuan.stores.models import Staff


def code_for(device: TOTPDevice) -> str:
    """The app's code for the next time step the device will accept.

    A device never accepts a step twice, so a second code within the same 30 seconds is
    the next step's (inside the device's tolerance of one step).
    """
    device.refresh_from_db()
    now_t = (int(time.time()) - device.t0) // device.step
    target = max(now_t, device.last_t + 1)
    token = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=target - now_t
    )
    return f"{token:0{device.digits}d}"


def enrol(staff: Staff) -> tuple[TOTPDevice, list[str]]:
    """Enrol ``staff`` through the services, as the enrolment page does."""
    device = two_factor.enrolment_device(staff=staff)
    codes = two_factor.enrolment_confirm(staff=staff, code=code_for(device))
    device.refresh_from_db()
    return device, codes
