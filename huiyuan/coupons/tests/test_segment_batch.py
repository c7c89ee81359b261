"""A batch to a saved segment (issue 9): the segment is evaluated as the batch runs, in the
stores of whoever started it (the worker runs as the system), and a run resumed after a
crash serves nobody twice."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Role
from huiyuan.coupons.models import Coupon, IssueBatch
from huiyuan.coupons.services import MemberFilter, issue_batch_run, issue_batch_start
from huiyuan.coupons.services import batch as batch_module
from huiyuan.coupons.tasks import SYSTEM
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput, member_register
from huiyuan.segments.services import segment_create

_mobiles = itertools.count(13_700_000_000)


def join(owner: Actor, store_id: int, name: str) -> Member:
    return member_register(
        actor=owner,
        data=MemberInput(name=name, mobile=str(next(_mobiles))),
        channel="store",
        store_id=store_id,
    )


@pytest.fixture
def two_stores(owner, stores):
    """Three members at the flagship (S01), two at 东城店 (S02)."""
    first = [join(owner, stores[0].pk, f"旗舰{i}") for i in range(3)]
    second = [join(owner, stores[1].pk, f"东城{i}") for i in range(2)]
    return first, second


def scoped_marketer(staff, store) -> Actor:
    """A marketer acting for one store only (as a store's API key with a marketing role
    does): it may run batches, and only its store's members are its to reach."""
    return Actor(
        role=Role.MARKETER,
        staff=staff[Role.MARKETER],
        store_ids=frozenset({store.pk}),
        store_id=store.pk,
    )


def holders(template) -> list[str]:
    return sorted(Coupon.objects.filter(template=template).values_list("member__name", flat=True))


def test_a_chain_wide_segment_reaches_only_the_stores_of_who_started_the_batch(
    make_template, owner, staff, stores, two_stores
):
    first, second = two_stores
    template = make_template(per_member_limit=0)
    everyone = segment_create(actor=owner, name="全部会员", definition={})
    scoped = scoped_marketer(staff, stores[0])
    batch = issue_batch_start(
        actor=scoped,
        template_id=template.pk,
        member_filter=MemberFilter(segment_id=everyone.pk),
        idempotency_key="seg-1",
    )
    assert batch.total == 3  # counted in the marketer's store
    assert (batch.filter["segment_id"], batch.filter["scope_store_ids"]) == (
        everyone.pk,
        [stores[0].pk],
    )
    # The worker runs as the system, but within the stores the batch was started in.
    done = issue_batch_run(actor=SYSTEM, batch_id=batch.pk)
    assert (done.status, done.total, done.issued, done.skipped) == ("done", 3, 3, 0)
    assert holders(template) == ["旗舰0", "旗舰1", "旗舰2"]
    assert not Coupon.objects.filter(member__in=second).exists()
    # The same segment started chain-wide (the owner) reaches everyone.
    all_of_them = issue_batch_start(
        actor=owner,
        template_id=template.pk,
        member_filter=MemberFilter(segment_id=everyone.pk),
        idempotency_key="seg-2",
    )
    assert all_of_them.total == 5
    assert issue_batch_run(actor=SYSTEM, batch_id=all_of_them.pk).issued == 5
    assert Coupon.objects.filter(template=template, source=f"batch:{all_of_them.pk}").count() == 5
    assert len(first) == 3


def test_the_creators_stores_of_today_narrow_a_batch_they_started(
    make_template, staff, stores, two_stores
):
    """Staff whose own stores are fewer than the actor's (a store manager's login) reach
    only their stores, whatever the actor carried."""
    template = make_template(per_member_limit=0)
    manager = staff[Role.STORE_MANAGER]  # works at S01 only
    wide = Actor(role=Role.OWNER, staff=manager)  # store_ids None: chain-wide on paper
    segment = segment_create(actor=Actor(role=Role.OWNER), name="全部会员", definition={})
    batch = issue_batch_start(
        actor=wide,
        template_id=template.pk,
        member_filter=MemberFilter(segment_id=segment.pk),
        idempotency_key="seg-3",
    )
    done = issue_batch_run(actor=SYSTEM, batch_id=batch.pk)
    assert done.issued == 3
    assert holders(template) == ["旗舰0", "旗舰1", "旗舰2"]


def test_a_segment_out_of_reach_answers_as_a_missing_one_and_starts_nothing(
    make_template, owner, staff, stores, two_stores
):
    template = make_template()
    east = segment_create(
        actor=owner, name="东城店会员", definition={}, store_id=stores[1].pk
    )  # a store's own segment
    scoped = scoped_marketer(staff, stores[0])
    audits = AuditEvent.objects.count()
    for segment_id in (east.pk, east.pk + 1000):
        with pytest.raises(NotFound) as refused:
            issue_batch_start(
                actor=scoped,
                template_id=template.pk,
                member_filter=MemberFilter(segment_id=segment_id),
                idempotency_key=f"seg-{segment_id}",
            )
        assert (refused.value.code, str(refused.value.message)) == (
            "segment_not_found",
            "分群不存在。",  # the words of a missing segment, whichever it is
        )
    assert IssueBatch.objects.count() == 0
    assert AuditEvent.objects.count() == audits
    assert Coupon.objects.count() == 0


def test_a_segment_batch_resumed_after_a_crash_serves_nobody_twice(
    make_template, owner, stores, two_stores, monkeypatch
):
    first, second = two_stores
    monkeypatch.setattr(batch_module, "CHUNK", 2)
    monkeypatch.setattr(batch_module, "SQLITE_PAUSE_SECONDS", 0)
    template = make_template(per_member_limit=0)
    segment = segment_create(actor=owner, name="全部会员", definition={})
    batch = issue_batch_start(
        actor=owner,
        template_id=template.pk,
        member_filter=MemberFilter(segment_id=segment.pk),
        idempotency_key="seg-crash",
    )
    with transaction.atomic():
        assert batch_module._chunk(SYSTEM, batch.pk) is True  # two served, committed
    real_issue = batch_module.issue_locked
    calls = {"n": 0}

    def dies_on_the_second(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the worker killed half-way through a chunk
        return real_issue(**kwargs)

    monkeypatch.setattr(batch_module, "issue_locked", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt), transaction.atomic():
        batch_module._chunk(SYSTEM, batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.issued) == ("running", 2, 2)  # the chunk undone
    assert Coupon.objects.filter(template=template).count() == 2
    # While it was down, one more member joined the segment: the run sees them (segments
    # are evaluated when used).
    late = join(owner, stores[0].pk, "新会员")
    monkeypatch.setattr(batch_module, "issue_locked", real_issue)
    done = issue_batch_run(actor=SYSTEM, batch_id=batch.pk)
    assert (done.status, done.done, done.issued, done.skipped, done.total) == (
        "done",
        6,
        6,
        0,
        6,
    )
    served = list(
        Coupon.objects.filter(template=template, source=f"batch:{batch.pk}")
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )
    assert served == sorted(m.pk for m in [*first, *second, late])
    template.refresh_from_db()
    assert template.issued_count == 6
    # Run again (a second worker picking up the same job): nothing more.
    assert issue_batch_run(actor=SYSTEM, batch_id=batch.pk).issued == 6
    assert Coupon.objects.filter(template=template).count() == 6
