"""Real threads on PostgreSQL: 100 members claim a coupon with stock 10 at once (from 20
threads); a budget
under concurrent issues. Exactly what exists is issued, never one more."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from huiyuan.core.races import race
from huiyuan.coupons.models import Coupon, CouponTemplate
from huiyuan.coupons.services import coupon_claim, coupon_issue
from huiyuan.ledger.tests.factories import key
from huiyuan.members.models import Member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def members(count: int, stores) -> list[Member]:
    from django.utils import timezone

    now = timezone.now()
    return Member.objects.bulk_create(
        Member(
            code=f"M{n:05d}",
            name=f"会员{n}",
            name_pinyin="huiyuan",
            name_initials="hy",
            mobile_enc="x",
            mobile_hash=f"h{n}",
            mobile_masked="138****0000",
            mobile_last4="0000",
            channel="store",
            home_store=stores[0],
            joined_at=now,
        )
        for n in range(count)
    )


def test_100_concurrent_claims_of_a_stock_of_10_issue_exactly_10(make_template, owner, stores):
    template = make_template(stock=10, claimable=True)
    people = members(100, stores)
    results = race(
        *[
            lambda m=m: coupon_claim(
                actor=owner, template_id=template.pk, member_id=m.pk, idempotency_key=key()
            )
            for m in people
        ]
    )
    outcomes = Counter(r if isinstance(r, str) else "issued" for r in results)
    assert outcomes == {"issued": 10, "coupon_out_of_stock": 90}, outcomes
    assert Coupon.objects.filter(template=template).count() == 10
    assert CouponTemplate.objects.get(pk=template.pk).issued_count == 10
    assert len(set(Coupon.objects.values_list("code", flat=True))) == 10


def test_concurrent_issues_never_exceed_the_budget_nor_the_member_limit(
    make_template, owner, stores
):
    # ¥10 per coupon, budget ¥75: seven coupons at most; one member, limit 3, asks 5 times.
    template = make_template(budget_fen=7500, per_member_limit=0)
    people = members(30, stores)
    results = race(
        *[
            lambda m=m: coupon_issue(
                actor=owner, template_id=template.pk, member_id=m.pk, idempotency_key=key()
            )
            for m in people
        ]
    )
    outcomes = Counter(r if isinstance(r, str) else "issued" for r in results)
    assert outcomes == {"issued": 7, "coupon_budget_exhausted": 23}, outcomes
    template.refresh_from_db()
    assert (template.issued_count, template.budget_used_fen) == (7, 7000)

    limited = make_template(per_member_limit=3)
    one = people[0]
    results = race(
        *[
            lambda: coupon_issue(
                actor=owner, template_id=limited.pk, member_id=one.pk, idempotency_key=key()
            )
            for _ in range(8)
        ]
    )
    outcomes = Counter(r if isinstance(r, str) else "issued" for r in results)
    assert outcomes == {"issued": 3, "coupon_limit_reached": 5}, outcomes


def test_two_workers_on_one_segment_batch_serve_each_member_once(
    make_template, owner, staff, stores, monkeypatch
):
    """The same batch run by two workers at once (a job delivered twice, or a resume while
    the first still runs): each member of the segment in the starter's store gets the
    batch's coupon once; the other store's members none."""
    from huiyuan.core.permissions import Actor, Role
    from huiyuan.coupons.services import MemberFilter, issue_batch_run, issue_batch_start
    from huiyuan.coupons.services import batch as batch_module
    from huiyuan.coupons.tasks import SYSTEM
    from huiyuan.segments.services import segment_create

    monkeypatch.setattr(batch_module, "CHUNK", 7)
    template = make_template(per_member_limit=0, stock=70)
    flagship = members(50, stores)
    east = Member.objects.bulk_create(
        Member(
            code=f"E{n:05d}",
            name=f"东城{n}",
            name_pinyin="dongcheng",
            name_initials="dc",
            mobile_enc="x",
            mobile_hash=f"e{n}",
            mobile_masked="138****0000",
            mobile_last4="0000",
            channel="store",
            home_store=stores[1],
            joined_at=flagship[0].joined_at,
        )
        for n in range(10)
    )
    segment = segment_create(actor=owner, name="全部会员", definition={})
    scoped = Actor(
        role=Role.MARKETER,
        staff=staff[Role.MARKETER],
        store_ids=frozenset({stores[0].pk}),
        store_id=stores[0].pk,
    )
    batch = issue_batch_start(
        actor=scoped,
        template_id=template.pk,
        member_filter=MemberFilter(segment_id=segment.pk),
        idempotency_key="race",
    )
    results = race(
        lambda: issue_batch_run(actor=SYSTEM, batch_id=batch.pk).issued,
        lambda: issue_batch_run(actor=SYSTEM, batch_id=batch.pk).issued,
    )
    assert results == [50, 50], results
    served = Counter(
        Coupon.objects.filter(template=template, source=f"batch:{batch.pk}").values_list(
            "member_id", flat=True
        )
    )
    assert set(served) == {m.pk for m in flagship} and set(served.values()) == {1}
    assert not Coupon.objects.filter(member__in=east).exists()
    assert CouponTemplate.objects.get(pk=template.pk).issued_count == 50
