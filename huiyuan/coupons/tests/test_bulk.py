"""Bulk issue (a DM campaign's or a care date's chunk): the rules of ``issue_locked`` for a
whole chunk at once — status, validity, stock, budget, the member's limit, once per source —
and its audit and outbox rows written through the audit and events apps."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.audit.services import AuditSubject, audit_record_many
from huiyuan.coupons.models import Coupon
from huiyuan.coupons.services import (
    coupon_issue,
    coupons_issue_bulk,
    template_stop,
)
from huiyuan.coupons.services.issue import issue_refusal
from huiyuan.coupons.services.templates import template_locked
from huiyuan.coupons.tasks import SYSTEM
from huiyuan.events.models import OutboxEvent
from huiyuan.events.services import EventItem, event_emit_many
from huiyuan.ledger.tests.factories import key
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput, member_cancel, member_register

_mobiles = itertools.count(13_600_000_000)


@pytest.fixture
def six(cashier) -> list[Member]:
    return [
        member_register(
            actor=cashier,
            data=MemberInput(name=f"会员{i}", mobile=str(next(_mobiles))),
            channel="store",
        )
        for i in range(6)
    ]


def bulk(template_id: int, members: list[Member], source: str = "campaign:1") -> dict:
    with transaction.atomic():
        template = template_locked(template_id)
        return coupons_issue_bulk(
            actor=SYSTEM,
            template=template,
            members=[Member.objects.get(pk=m.pk) for m in members],
            now=timezone.now(),
            source=source,
        )


def test_the_rules_of_one_issue_decide_the_chunk(make_template, owner, six):
    template = make_template(stock=3, per_member_limit=1)
    coupon_issue(actor=owner, template_id=template.pk, member_id=six[0].pk, idempotency_key=key())
    member_cancel(actor=owner, member_id=six[1].pk, reason="顾客要求")
    # One by one, issue_locked would say: at the limit, not active, yes, yes, out of stock…
    now = timezone.now()
    with transaction.atomic():
        locked = template_locked(template.pk)
        refusals = [issue_refusal(locked, Member.objects.get(pk=m.pk), now) for m in six[:3]]
    assert [r.code if r else None for r in refusals] == [
        "coupon_limit_reached",
        "member_not_active",
        None,
    ]
    audits, events = AuditEvent.objects.count(), OutboxEvent.objects.count()
    issued = bulk(template.pk, six)
    assert sorted(issued) == [six[2].pk, six[3].pk]  # two left in stock, in the order given
    template.refresh_from_db()
    assert (template.issued_count, template.budget_used_fen) == (3, 3000)
    rows = list(
        AuditEvent.objects.filter(action="coupon.issued")
        .order_by("pk")
        .values_list("subject_id", "member_id", "actor_label", "after")
    )[-2:]
    assert rows == [
        (
            str(issued[m.pk].pk),
            m.pk,
            "system",
            {"template": template.pk, "channel": "batch", "source": "campaign:1"},
        )
        for m in six[2:4]
    ]
    assert AuditEvent.objects.count() == audits + 2
    outbox = list(
        OutboxEvent.objects.filter(name="coupon.issued")
        .order_by("pk")
        .values_list("payload", "member_id")
    )[-2:]
    assert outbox == [
        ({"coupon_id": issued[m.pk].pk, "template_id": template.pk, "channel": "batch"}, m.pk)
        for m in six[2:4]
    ]
    assert OutboxEvent.objects.count() == events + 2
    # The stock is out: the next chunk gets nothing, and writes nothing.
    assert bulk(template.pk, six[4:], source="campaign:2") == {}
    assert (AuditEvent.objects.count(), OutboxEvent.objects.count()) == (audits + 2, events + 2)


def test_budget_source_and_a_stopped_template(make_template, owner, six):
    template = make_template(kind="cash", value=1000, min_spend_fen=0, budget_fen=2500)
    first = bulk(template.pk, six)
    assert sorted(first) == [six[0].pk, six[1].pk]  # ¥25 of budget: two ¥10 coupons
    template.refresh_from_db()
    assert (template.issued_count, template.budget_used_fen) == (2, 2000)

    roomy = make_template(name="大券", per_member_limit=0)
    assert len(bulk(roomy.pk, six[:3], source="care:x")) == 3
    # The same source again (a chunk run twice): each member once.
    again = bulk(roomy.pk, [*six[:3], six[3], six[3]], source="care:x")
    assert list(again) == [six[3].pk]
    assert Coupon.objects.filter(template=roomy).count() == 4
    template_stop(actor=owner, template_id=roomy.pk, idempotency_key=key())
    assert bulk(roomy.pk, six[4:], source="care:y") == {}
    assert Coupon.objects.filter(template=roomy).count() == 4


@pytest.mark.django_db(transaction=True)  # no test-wide transaction: autocommit, as a worker
def test_bulk_writes_refuse_outside_a_transaction_and_check_every_payload(make_template, six):
    template = make_template(per_member_limit=0)
    with pytest.raises(RuntimeError):
        coupons_issue_bulk(
            actor=SYSTEM,
            template=template,
            members=six,
            now=timezone.now(),
            source="campaign:9",
        )
    with pytest.raises(RuntimeError):
        audit_record_many(actor=SYSTEM, action="coupon.issued", subject_type="coupon", subjects=[])
    with pytest.raises(RuntimeError):
        event_emit_many("coupon.issued", items=[])
    assert Coupon.objects.count() == 0
    events = OutboxEvent.objects.count()
    good = {"coupon_id": 1, "template_id": 1, "channel": "batch"}
    with pytest.raises(ValueError, match="personal data"), transaction.atomic():
        event_emit_many(
            "coupon.issued",
            items=[EventItem(good), EventItem({**good, "mobile": "13800000000"})],
        )
    with pytest.raises(ValueError, match="must be an id"), transaction.atomic():
        event_emit_many("coupon.issued", items=[EventItem({**good, "channel": "批量 发券"})])
    assert OutboxEvent.objects.count() == events  # checked before anything is written
    with transaction.atomic():
        rows = audit_record_many(
            actor=SYSTEM,
            action="coupon.issued",
            subject_type="coupon",
            subjects=[AuditSubject(subject_id=7, member_id=six[0].pk, note="x" * 600)],
        )
    assert [(r.subject_id, r.member_id, len(r.note), r.actor_label) for r in rows] == [
        ("7", six[0].pk, 500, "system")
    ]
