"""Joining, codes, signing in, password reset and their rate limits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.members.models import Member
from huiyuan.selfservice import services
from huiyuan.selfservice.models import (
    Attempt,
    Consent,
    MarketingConsent,
    MemberCredential,
    VerificationCode,
)
from huiyuan.selfservice.selectors import marketing_allowed
from huiyuan.selfservice.services import RateLimited
from huiyuan.selfservice.tests.conftest import MOBILE, PASSWORD, last_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def do(mobile: str = MOBILE, purpose: str = "join", ip: str = "10.0.0.1") -> str:
        with django_capture_on_commit_callbacks(execute=True):
            services.code_request(mobile=mobile, purpose=purpose, ip=ip)
        return last_code(mobile)

    return do


def join_input(link, code: str, **extra) -> services.JoinInput:
    fields = {
        "mobile": MOBILE,
        "name": "张三",
        "code": code,
        "password": PASSWORD,
        "store_id": link.store_id,
        "staff_id": link.staff_id,
        "consent": True,
        "ip": "10.0.0.1",
    }
    fields.update(extra)
    return services.JoinInput(**fields)


def test_join_registers_with_store_staff_consents_and_hashed_password(docs, link, staff, send):
    member = services.member_join(join_input(link, send(), marketing=True))
    assert member.channel == Member.Channel.SELF
    assert member.home_store_id == link.store_id
    assert member.registered_by_id == staff[Role.CASHIER].pk
    assert member.consent_at is not None
    assert member.mobile == MOBILE
    accepted = {
        (c.version.document.kind, c.version.version) for c in Consent.objects.filter(member=member)
    }
    assert accepted == {("charter", 1), ("privacy", 1)}
    credential = MemberCredential.objects.get(member=member)
    assert PASSWORD not in credential.password
    assert check_password(PASSWORD, credential.password)
    assert MarketingConsent.objects.get(member=member).allowed is True
    assert marketing_allowed(member.pk) is True


def test_join_with_referrer(docs, link, send, joined):
    referred = services.member_join(
        join_input(
            link,
            send("13811112222"),
            mobile="13811112222",
            referrer_code=joined.code,
        )
    )
    assert referred.referrer_id == joined.pk


def test_join_with_a_referrer_who_left_credits_nobody(docs, link, send):
    member = services.member_join(join_input(link, send(), referrer_code="8999999999"))
    assert member.referrer_id is None


def test_join_without_consent_is_refused_and_changes_nothing(docs, link, send):
    code = send()
    with pytest.raises(ValidationFailed) as exc:
        services.member_join(join_input(link, code, consent=False))
    assert exc.value.code == "consent_required"
    assert not Member.objects.exists()
    # the code is still good for the corrected form
    assert services.member_join(join_input(link, code)).pk


def test_wrong_code_is_counted_and_changes_nothing(docs, link, send):
    code = send()
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ValidationFailed) as exc:
        services.member_join(join_input(link, wrong))
    assert exc.value.code == "code_wrong"
    assert "4" in str(exc.value.message)
    assert not Member.objects.exists()
    assert VerificationCode.objects.get().tries == 1


def test_code_dies_after_five_wrong_tries(docs, link, send):
    code = send()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            services.member_join(join_input(link, wrong))
    with pytest.raises(ValidationFailed) as exc:
        services.member_join(join_input(link, code))
    assert exc.value.code == "code_expired"
    assert not Member.objects.exists()


def test_code_expires_after_five_minutes(docs, link, send):
    code = send()
    VerificationCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationFailed) as exc:
        services.member_join(join_input(link, code))
    assert exc.value.code == "code_expired"


def test_code_is_stored_hashed_and_used_once(docs, link, send):
    code = send()
    row = VerificationCode.objects.get()
    assert code not in row.code_hash
    assert row.expires_at - row.created_at == dt.timedelta(minutes=5)
    services.member_join(join_input(link, code))
    with pytest.raises(Conflict):  # the number is now a member
        services.member_join(join_input(link, code))
    assert VerificationCode.objects.get().used_at is not None


def test_code_rate_limits_per_mobile_and_ip(db, send):
    send()
    with pytest.raises(RateLimited) as exc:
        send()
    assert exc.value.code == "code_too_soon"
    # five within the hour: the sixth is refused even after the minute
    Attempt.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    for _ in range(4):
        send()
        Attempt.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    with pytest.raises(RateLimited) as exc:
        send()
    assert exc.value.code == "code_limit_mobile"
    assert VerificationCode.objects.count() == 5
    # per IP: twenty numbers from one address within the hour
    for n in range(15):
        send(f"1370000{n:04d}", ip="10.9.9.9")
    Attempt.objects.filter(ip="10.0.0.1").update(ip="10.9.9.9")
    with pytest.raises(RateLimited) as exc:
        send("13799999999", ip="10.9.9.9")
    assert exc.value.code == "code_limit_ip"


def test_code_for_join_refused_for_a_member_and_signin_for_a_stranger(joined, send):
    with pytest.raises(Conflict) as exc:
        send(MOBILE, "join")
    assert exc.value.code == "already_member"
    with pytest.raises(NotFound) as exc2:
        send("13700000000", "signin")
    assert exc2.value.code == "unknown_mobile"


def test_signin_with_password(joined):
    assert services.signin_password(mobile=MOBILE, password=PASSWORD).pk == joined.pk
    with pytest.raises(ValidationFailed) as exc:
        services.signin_password(mobile=MOBILE, password="wrong-one-123")
    assert exc.value.code == "signin_failed"
    assert Attempt.objects.filter(kind="signin_failed").count() == 1


def test_signin_locks_after_five_failures_per_mobile(joined):
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            services.signin_password(mobile=MOBILE, password="wrong-one-123", ip="10.0.0.2")
    with pytest.raises(RateLimited) as exc:
        services.signin_password(mobile=MOBILE, password=PASSWORD)
    assert exc.value.code == "signin_locked"
    assert "15" in str(exc.value.message)
    Attempt.objects.update(created_at=timezone.now() - dt.timedelta(minutes=16))
    assert services.signin_password(mobile=MOBILE, password=PASSWORD).pk == joined.pk


def test_signin_locks_per_ip(joined):
    now = timezone.now()
    Attempt.objects.bulk_create(
        Attempt(kind="signin_failed", mobile_hash=f"x{n}", ip="10.7.7.7", created_at=now)
        for n in range(30)
    )
    with pytest.raises(RateLimited) as exc:
        services.signin_password(mobile=MOBILE, password=PASSWORD, ip="10.7.7.7")
    assert exc.value.code == "signin_locked_ip"
    assert services.signin_password(mobile=MOBILE, password=PASSWORD, ip="10.7.7.8").pk


def test_signin_with_code(joined, send):
    Attempt.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    code = send(MOBILE, "signin")
    assert services.signin_code(mobile=MOBILE, code=code).pk == joined.pk
    with pytest.raises(ValidationFailed) as exc:
        services.signin_code(mobile=MOBILE, code=code)
    assert exc.value.code == "code_expired"


def test_password_reset(joined, send):
    Attempt.objects.all().delete()
    code = send(MOBILE, "reset")
    with pytest.raises(ValidationFailed) as exc:
        services.password_reset(mobile=MOBILE, code=code, password="short")
    assert exc.value.code == "weak_password"
    services.password_reset(mobile=MOBILE, code=code, password="New-pass-2027")
    assert services.signin_password(mobile=MOBILE, password="New-pass-2027").pk == joined.pk
    with pytest.raises(ValidationFailed):
        services.signin_password(mobile=MOBILE, password=PASSWORD)


def test_old_attempts_and_codes_are_purged(db, send):
    send()
    old = timezone.now() - dt.timedelta(days=2)
    Attempt.objects.update(created_at=old)
    VerificationCode.objects.update(created_at=old)
    send("13700000001")
    assert Attempt.objects.count() == 1
    assert VerificationCode.objects.count() == 1
