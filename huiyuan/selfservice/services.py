"""What a member does for themselves: codes, joining, signing in, passwords, consents.

Rate limits live in the database (``Attempt``), so they hold across processes:

- a code per mobile at most once a minute and ``CODE_PER_MOBILE_HOUR`` an hour; per IP
  ``CODE_PER_IP_HOUR`` an hour;
- ``SIGNIN_FAILURES_PER_MOBILE`` wrong passwords or codes for one mobile within
  ``SIGNIN_WINDOW`` lock that mobile's sign-in for the rest of the window;
  ``SIGNIN_FAILURES_PER_IP`` from one IP lock that IP the same way;
- a code is hashed (keyed HMAC), valid ``CODE_TTL``, used once, and dies after
  ``CODE_MAX_TRIES`` wrong tries.

Every refusal says what to do next.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core import china, pii
from huiyuan.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput, member_register
from huiyuan.selfservice import sms
from huiyuan.selfservice.actor import MemberActor, audit_actor
from huiyuan.selfservice.models import (
    Attempt,
    Consent,
    Document,
    DocumentVersion,
    MarketingConsent,
    MemberCredential,
    VerificationCode,
)
from huiyuan.stores.models import Staff, Store

CODE_TTL = dt.timedelta(minutes=5)
CODE_MAX_TRIES = 5
CODE_MIN_INTERVAL = dt.timedelta(seconds=60)
CODE_PER_MOBILE_HOUR = 5
CODE_PER_IP_HOUR = 20
SIGNIN_WINDOW = dt.timedelta(minutes=15)
SIGNIN_FAILURES_PER_MOBILE = 5
SIGNIN_FAILURES_PER_IP = 30
# Attempts and codes older than this are deleted (nothing reads them after an hour).
KEEP_ATTEMPTS = dt.timedelta(days=1)


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


def _mobile_hash(mobile: str) -> str:
    return pii.keyed_hash(mobile)


def _code_digest(code_id: int | str, code: str) -> str:
    return salted_hmac("huiyuan.selfservice.code", f"{code_id}:{code}").hexdigest()


def _minutes(delta: dt.timedelta) -> int:
    return max(1, int(delta.total_seconds() + 59) // 60)


def _record(kind: str, *, mobile_hash: str = "", ip: str = "") -> None:
    Attempt.objects.create(
        kind=kind, mobile_hash=mobile_hash, ip=ip[:64], created_at=timezone.now()
    )


def member_by_mobile(mobile: str) -> Member | None:
    return Member.objects.filter(
        mobile_hash=_mobile_hash(mobile), status=Member.Status.ACTIVE
    ).first()


# ---------------------------------------------------------------------- codes


def attempts_purge(now: dt.datetime | None = None) -> int:
    """Delete attempts and codes past ``KEEP_ATTEMPTS`` (run with every code sent)."""
    cutoff = (now or timezone.now()) - KEEP_ATTEMPTS
    done, _kinds = Attempt.objects.filter(created_at__lt=cutoff).delete()
    codes, _kinds = VerificationCode.objects.filter(created_at__lt=cutoff).delete()
    return done + codes


def code_request(*, mobile: str, purpose: str, ip: str = "") -> None:
    """Send a six-digit code to ``mobile`` for ``purpose`` (join, signin, reset)."""
    if purpose not in VerificationCode.Purpose.values:
        raise ValidationFailed(_("Unknown purpose."), code="invalid_purpose")
    mobile = china.normalize_mobile(mobile)
    digest = _mobile_hash(mobile)
    exists = member_by_mobile(mobile) is not None
    if purpose == VerificationCode.Purpose.JOIN and exists:
        raise Conflict(
            _("This mobile number is already a member. Sign in instead."),
            code="already_member",
            field="mobile",
        )
    if purpose != VerificationCode.Purpose.JOIN and not exists:
        raise NotFound(
            _("No member uses this mobile number. Check it, or join first."),
            code="unknown_mobile",
            field="mobile",
        )
    now = timezone.now()
    sent = Attempt.objects.filter(kind=Attempt.Kind.CODE_SENT)
    last = sent.filter(mobile_hash=digest).order_by("-created_at").first()
    if last is not None and now - last.created_at < CODE_MIN_INTERVAL:
        wait = int((CODE_MIN_INTERVAL - (now - last.created_at)).total_seconds()) + 1
        raise RateLimited(
            _("A code was just sent. Wait %(s)d seconds before asking for another.") % {"s": wait},
            code="code_too_soon",
            field="mobile",
        )
    hour = now - dt.timedelta(hours=1)
    if sent.filter(mobile_hash=digest, created_at__gte=hour).count() >= CODE_PER_MOBILE_HOUR:
        raise RateLimited(
            _("Too many codes for this number. Try again in an hour, or ask at the counter."),
            code="code_limit_mobile",
            field="mobile",
        )
    if ip and sent.filter(ip=ip, created_at__gte=hour).count() >= CODE_PER_IP_HOUR:
        raise RateLimited(
            _("Too many codes from this network. Try again in an hour."),
            code="code_limit_ip",
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        row = VerificationCode.objects.create(
            mobile_hash=digest,
            purpose=purpose,
            code_hash="-",
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        row.code_hash = _code_digest(row.pk, code)
        row.save(update_fields=["code_hash"])
        _record(Attempt.Kind.CODE_SENT, mobile_hash=digest, ip=ip)
        attempts_purge(now)
    sms.send_code(mobile=mobile, code=code, purpose=purpose)


def _code_check(*, mobile: str, purpose: str, code: str, ip: str) -> VerificationCode:
    """The live code row matching ``code`` (not yet consumed), or a refusal; a wrong try
    is counted (and committed) before the refusal."""
    digest = _mobile_hash(mobile)
    now = timezone.now()
    row = (
        VerificationCode.objects.filter(
            mobile_hash=digest, purpose=purpose, used_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None or row.tries >= CODE_MAX_TRIES:
        raise ValidationFailed(
            _("The code has expired or was already used. Ask for a new code."),
            code="code_expired",
            field="code",
        )
    if not constant_time_compare(row.code_hash, _code_digest(row.pk, (code or "").strip())):
        VerificationCode.objects.filter(pk=row.pk).update(tries=row.tries + 1)
        _record(Attempt.Kind.CODE_FAILED, mobile_hash=digest, ip=ip)
        left = CODE_MAX_TRIES - row.tries - 1
        if left <= 0:
            raise ValidationFailed(
                _("Wrong code, and no tries are left. Ask for a new code."),
                code="code_exhausted",
                field="code",
            )
        raise ValidationFailed(
            _("Wrong code. Check the SMS and try again (%(n)d tries left).") % {"n": left},
            code="code_wrong",
            field="code",
        )
    return row


def _code_consume(row: VerificationCode) -> None:
    """Mark the code used, inside the caller's transaction; a second use loses the race."""
    done = VerificationCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not done:
        raise ValidationFailed(
            _("The code has expired or was already used. Ask for a new code."),
            code="code_expired",
            field="code",
        )


# ---------------------------------------------------------------------- passwords


def _clean_password(password: str) -> str:
    try:
        validate_password(password)
    except ValidationError as exc:
        raise ValidationFailed(
            " ".join(exc.messages), code="weak_password", field="password"
        ) from exc
    return password


def _set_password(member_id: int, password: str) -> None:
    now = timezone.now()
    MemberCredential.objects.update_or_create(
        member_id=member_id, defaults={"password": make_password(password), "updated_at": now}
    )


def member_password_set(*, member_id: int, password: str) -> None:
    """Give a member a portal password (the demo chain's sample member; members set their
    own in the portal). The password rules apply."""
    _set_password(member_id, _clean_password(password))


# ---------------------------------------------------------------------- documents


def document_publish(*, kind: str, title: str, body: str) -> DocumentVersion:
    """Publish a new version of the charter or privacy notice (members accept it next)."""
    with transaction.atomic():
        document, _created = Document.objects.select_for_update().get_or_create(kind=kind)
        last = document.versions.order_by("-version").first()
        version = DocumentVersion.objects.create(
            document=document,
            version=(last.version + 1) if last else 1,
            title=title,
            body=body,
            published_at=timezone.now(),
        )
        audit_record(
            actor=audit_actor(None),
            action="selfservice.document_published",
            subject_type="document_version",
            subject_id=version.pk,
            after={"kind": kind, "version": version.version, "title": title},
        )
    return version


def _current_versions() -> list[DocumentVersion]:
    versions = []
    for kind in Document.Kind.values:
        version = (
            DocumentVersion.objects.filter(document__kind=kind, published_at__lte=timezone.now())
            .order_by("-version")
            .first()
        )
        if version is not None:
            versions.append(version)
    return versions


# ---------------------------------------------------------------------- joining


@dataclass(frozen=True)
class JoinInput:
    mobile: str
    name: str
    code: str
    password: str
    store_id: int
    staff_id: int | None = None
    referrer_code: str = ""
    consent: bool = False
    marketing: bool = False
    ip: str = ""


def member_join(data: JoinInput) -> Member:
    """Register a member from the portal: code checked, charter and privacy accepted
    (their current versions recorded), password set, marketing consent as chosen."""
    mobile = china.normalize_mobile(data.mobile)
    if not data.consent:
        raise ValidationFailed(
            _("Read and accept the member charter and the privacy notice to join."),
            code="consent_required",
            field="consent",
        )
    store = Store.objects.filter(pk=data.store_id, is_active=True).first()
    if store is None:
        raise NotFound(
            _("This joining link is not valid any more. Scan the QR code in the store again."),
            code="unknown_store",
        )
    staff = None
    if data.staff_id is not None:
        staff = Staff.objects.filter(pk=data.staff_id, is_active=True).first()
    password = _clean_password(data.password)
    if not (data.name or "").strip():
        raise ValidationFailed(_("Enter your name."), code="name_required", field="name")
    if member_by_mobile(mobile) is not None:
        raise Conflict(
            _("This mobile number is already a member. Sign in instead."),
            code="already_member",
            field="mobile",
        )
    row = _code_check(
        mobile=mobile, purpose=VerificationCode.Purpose.JOIN, code=data.code, ip=data.ip
    )
    # A referrer who has left since the QR code was printed is simply not credited.
    referrer = (data.referrer_code or "").strip()
    if referrer and not Member.objects.filter(code=referrer, status=Member.Status.ACTIVE).exists():
        referrer = ""
    actor = audit_actor(None, store_id=store.pk, staff=staff)
    now = timezone.now()
    with transaction.atomic():
        _code_consume(row)
        member = member_register(
            actor=actor,
            data=MemberInput(
                name=data.name.strip(),
                mobile=mobile,
                referrer_code=referrer,
                consent=True,
            ),
            channel=Member.Channel.SELF,
            store_id=store.pk,
        )
        _set_password(member.pk, password)
        versions = _current_versions()
        for version in versions:
            Consent.objects.create(member=member, version=version, accepted_at=now, ip=data.ip[:64])
        MarketingConsent.objects.create(member=member, allowed=data.marketing, changed_at=now)
        audit_record(
            actor=audit_actor(member.pk, store_id=store.pk),
            action="selfservice.consented",
            subject_type="member",
            subject_id=member.pk,
            member_id=member.pk,
            after={
                "documents": {v.document.kind: v.version for v in versions},
                "marketing": data.marketing,
            },
        )
    return member


# ---------------------------------------------------------------------- signing in


def _signin_guard(digest: str, ip: str) -> None:
    since = timezone.now() - SIGNIN_WINDOW
    failures = Attempt.objects.filter(
        kind__in=[Attempt.Kind.SIGNIN_FAILED, Attempt.Kind.CODE_FAILED], created_at__gte=since
    )
    mine = failures.filter(mobile_hash=digest).order_by("created_at")
    if mine.count() >= SIGNIN_FAILURES_PER_MOBILE:
        first = mine.first()
        assert first is not None
        wait = first.created_at + SIGNIN_WINDOW - timezone.now()
        raise RateLimited(
            _(
                "Too many failed sign-ins for this number. Try again in %(m)d minutes, "
                "or reset your password."
            )
            % {"m": _minutes(wait)},
            code="signin_locked",
        )
    if ip and failures.filter(ip=ip).count() >= SIGNIN_FAILURES_PER_IP:
        raise RateLimited(
            _("Too many failed sign-ins from this network. Try again in %(m)d minutes.")
            % {"m": _minutes(SIGNIN_WINDOW)},
            code="signin_locked_ip",
        )


def signin_password(*, mobile: str, password: str, ip: str = "") -> Member:
    """The member signing in with mobile and password, or a refusal (counted)."""
    mobile = china.normalize_mobile(mobile)
    digest = _mobile_hash(mobile)
    _signin_guard(digest, ip)
    member = member_by_mobile(mobile)
    credential = (
        MemberCredential.objects.filter(member=member).first() if member is not None else None
    )
    if member is None or credential is None or not check_password(password, credential.password):
        _record(Attempt.Kind.SIGNIN_FAILED, mobile_hash=digest, ip=ip)
        if member is not None and credential is None:
            raise ValidationFailed(
                _("You have not set a password yet. Sign in with an SMS code instead."),
                code="no_password",
            )
        raise ValidationFailed(
            _(
                "The mobile number or password is wrong. Try again, sign in with an SMS "
                "code, or reset your password."
            ),
            code="signin_failed",
        )
    return member


def signin_code(*, mobile: str, code: str, ip: str = "") -> Member:
    """The member signing in with an SMS code, or a refusal (counted)."""
    mobile = china.normalize_mobile(mobile)
    digest = _mobile_hash(mobile)
    _signin_guard(digest, ip)
    member = member_by_mobile(mobile)
    if member is None:
        raise NotFound(
            _("No member uses this mobile number. Check it, or join first."),
            code="unknown_mobile",
            field="mobile",
        )
    row = _code_check(mobile=mobile, purpose=VerificationCode.Purpose.SIGNIN, code=code, ip=ip)
    with transaction.atomic():
        _code_consume(row)
    return member


def password_reset(*, mobile: str, code: str, password: str, ip: str = "") -> Member:
    """Set a new password after proving the mobile with a code (also: account recovery)."""
    mobile = china.normalize_mobile(mobile)
    member = member_by_mobile(mobile)
    if member is None:
        raise NotFound(
            _("No member uses this mobile number. Check it, or join first."),
            code="unknown_mobile",
            field="mobile",
        )
    password = _clean_password(password)
    row = _code_check(mobile=mobile, purpose=VerificationCode.Purpose.RESET, code=code, ip=ip)
    with transaction.atomic():
        _code_consume(row)
        _set_password(member.pk, password)
        audit_record(
            actor=audit_actor(member.pk),
            action="selfservice.password_reset",
            subject_type="member",
            subject_id=member.pk,
            member_id=member.pk,
        )
    return member


def password_change(*, actor: MemberActor, old_password: str, password: str) -> None:
    """A signed-in member changes (or first sets) their password."""
    credential = MemberCredential.objects.filter(member_id=actor.member_id).first()
    if credential is not None and not check_password(old_password, credential.password):
        raise ValidationFailed(
            _("The current password is wrong. Forgot it? Reset it with an SMS code."),
            code="wrong_password",
            field="old_password",
        )
    password = _clean_password(password)
    with transaction.atomic():
        _set_password(actor.member_id, password)
        audit_record(
            actor=audit_actor(actor.member_id),
            action="selfservice.password_changed",
            subject_type="member",
            subject_id=actor.member_id,
            member_id=actor.member_id,
        )
