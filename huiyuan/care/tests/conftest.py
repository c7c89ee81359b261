"""Fixtures of the care tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput, member_register

_mobiles = itertools.count(13912340000)


@pytest.fixture
def make_member(cashier) -> Callable[..., Member]:
    def make(name: str = "王小明", **extra) -> Member:
        mobile = extra.pop("mobile", str(next(_mobiles)))
        return member_register(
            actor=cashier, data=MemberInput(name=name, mobile=mobile, **extra), channel="store"
        )

    return make


@pytest.fixture
def coupon_template(owner):
    import datetime as dt

    from huiyuan.coupons.services import TemplateInput, template_create

    return template_create(
        actor=owner,
        data=TemplateInput(
            name="生日券",
            kind="threshold",
            value=1000,
            min_spend_fen=5000,
            valid_from=dt.date(2020, 1, 1),
            valid_to=dt.date(2099, 12, 31),
        ),
    )


@pytest.fixture
def no_quiet_hours(settings):
    """Marketing may go out whatever the hour the suite runs at."""
    settings.HUIYUAN_CARE_QUIET_HOURS = (0, 0)
