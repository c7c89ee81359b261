"""Fixtures of the segment tests: members through the member service, sales as rows."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from huiyuan.checkout.models import Sale
from huiyuan.core import clock
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput, member_register

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def make_member(owner, stores) -> Callable[..., Member]:
    mobiles = itertools.count(13900000001)

    def make(name: str = "张三", store=None, **extra: Any) -> Member:
        return member_register(
            actor=owner,
            data=MemberInput(name=name, mobile=str(next(mobiles)), **extra),
            channel="store",
            store_id=(store or stores[0]).pk,
        )

    return make


@pytest.fixture
def make_sale(stores) -> Callable[..., Sale]:
    """A completed sale row of ``fen`` on ``day`` at ``hour`` (local), as checkout stores it."""
    numbers = itertools.count(1)

    def make(
        member: Member | None,
        fen: int,
        day: dt.date,
        *,
        hour: int = 12,
        status: str = Sale.Status.COMPLETED,
        returned_fen: int = 0,
        category: str = "",
        store=None,
    ) -> Sale:
        moment = clock.local_day_start(day) + dt.timedelta(hours=hour)
        return Sale.objects.create(
            number=f"T{next(numbers):08d}",
            member=member,
            store=store or stores[0],
            category=category,
            amount_fen=fen,
            payable_fen=fen,
            paid_external_fen=fen,
            external_method="cash",
            returned_payable_fen=returned_fen,
            status=status,
            created_at=moment,
        )

    return make
