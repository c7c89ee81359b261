"""Names that show nothing are blank; e-mail addresses are validated (issue 7, point 4).

The rules live in the service, so the API, the console and imports all get them.
"""

from __future__ import annotations

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import ValidationFailed
from huiyuan.members import services
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput

BLANK_NAMES = [
    "",
    "   ",
    "\u200b",  # zero-width space
    "\u200c\u200d",  # zero-width non-joiner, joiner
    "\ufeff",  # byte order mark
    "\u2060",  # word joiner
    "\u3000\u00a0",  # ideographic and no-break spaces (Zs)
    "\u200b \u200b",
    "\x01\x7f",  # control characters
    "\u00ad\u061c",  # soft hyphen, Arabic letter mark (Cf)
]


def _register(owner, stores, **fields) -> Member:
    data = {"name": "张三", "mobile": "13812345678", **fields}
    return services.member_register(
        actor=owner, data=MemberInput(**data), channel="store", store_id=stores[0].pk
    )


def _refused(call) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        call()
    return refused.value


@pytest.mark.parametrize("name", BLANK_NAMES)
def test_an_invisible_name_is_refused_like_a_blank_one(owner, stores, name):
    blank = _refused(lambda: _register(owner, stores, name=""))
    error = _refused(lambda: _register(owner, stores, name=name))
    assert (error.code, error.field, str(error.message)) == (
        blank.code,
        blank.field,
        str(blank.message),
    )
    assert error.code == "name_required"
    assert not Member.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("name", BLANK_NAMES)
def test_an_edit_to_an_invisible_name_is_refused(owner, stores, name):
    member = _register(owner, stores)
    events = AuditEvent.objects.count()
    error = _refused(
        lambda: services.member_update(actor=owner, member_id=member.pk, changes={"name": name})
    )
    assert error.code == "name_required"
    assert Member.objects.get(pk=member.pk).name == "张三"
    assert AuditEvent.objects.count() == events


def test_invisible_characters_around_a_name_are_trimmed(owner, stores):
    member = _register(owner, stores, name="\u200b 张\u200d三 \ufeff")
    assert member.name == "张\u200d三"


@pytest.mark.parametrize(
    "email", ["not-an-address", "a@b", "a @b.cn", "a@b..cn", "@example.com", "x" * 250 + "@a.cn"]
)
def test_a_bad_email_is_refused_at_registration(owner, stores, email):
    error = _refused(lambda: _register(owner, stores, email=email))
    assert (error.code, error.field) == ("invalid_email", "email")
    assert not Member.objects.exists()


def test_a_bad_email_is_refused_at_edit(owner, stores):
    member = _register(owner, stores, email="zs@example.com")
    error = _refused(
        lambda: services.member_update(
            actor=owner, member_id=member.pk, changes={"email": "zs@@example.com"}
        )
    )
    assert (error.code, error.field) == ("invalid_email", "email")
    assert Member.objects.get(pk=member.pk).email == "zs@example.com"


@pytest.mark.parametrize("email,stored", [(" zs@example.com ", "zs@example.com"), ("", "")])
def test_good_or_no_email(owner, stores, email, stored):
    assert _register(owner, stores, email=email).email == stored


def test_email_can_be_cleared(owner, stores):
    member = _register(owner, stores, email="zs@example.com")
    services.member_update(actor=owner, member_id=member.pk, changes={"email": None})
    assert Member.objects.get(pk=member.pk).email == ""
