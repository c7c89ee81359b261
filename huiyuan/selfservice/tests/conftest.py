"""Fixtures of the self-service tests: a joining link, codes read from the SMS outbox."""

from __future__ import annotations

import re

import pytest

from huiyuan.care.testing import outbox
from huiyuan.core.permissions import Role
from huiyuan.selfservice import services
from huiyuan.selfservice.joinlink import JoinLink

MOBILE = "13912345678"
PASSWORD = "Member-pass-2026"


def last_code(mobile: str) -> str:
    """The code in the newest SMS the outbox holds for ``mobile``."""
    bodies = outbox(mobile)
    assert bodies, f"no SMS for {mobile}"
    match = re.search(r"\d{6}", bodies[-1])
    assert match is not None, bodies[-1]
    return match.group(0)


@pytest.fixture
def docs(db):
    return [
        services.document_publish(kind="charter", title="会员章程", body="第一条 …"),
        services.document_publish(kind="privacy", title="隐私政策", body="我们收集 …"),
    ]


@pytest.fixture
def link(stores, staff) -> JoinLink:
    return JoinLink(store_id=stores[0].pk, staff_id=staff[Role.CASHIER].pk)


@pytest.fixture
def joined(docs, link, django_capture_on_commit_callbacks):
    """A member who joined through the portal with MOBILE and PASSWORD."""
    with django_capture_on_commit_callbacks(execute=True):
        services.code_request(mobile=MOBILE, purpose="join", ip="10.0.0.1")
    return services.member_join(
        services.JoinInput(
            mobile=MOBILE,
            name="张三",
            code=last_code(MOBILE),
            password=PASSWORD,
            store_id=link.store_id,
            staff_id=link.staff_id,
            consent=True,
            ip="10.0.0.1",
        )
    )
