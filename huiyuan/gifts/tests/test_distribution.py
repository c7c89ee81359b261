"""Batch gift distribution: free, each member at most once per batch, resumable."""

from __future__ import annotations

import pytest

from huiyuan.core.errors import DomainError
from huiyuan.gifts import services
from huiyuan.gifts.models import DistributionLine, GiftMovement, Redemption
from huiyuan.ledger.tests.factories import key, member
from huiyuan.members import services as member_services

pytestmark = pytest.mark.django_db


def test_each_member_once_and_skips_with_reasons(owner, cashier, make_gift):
    gift = make_gift(stock=3)
    people = [member(cashier) for _ in range(4)]
    member_services.member_cancel(actor=owner, member_id=people[0].pk, reason="注销")
    ids = [p.pk for p in people] + [people[1].pk]  # a duplicate
    batch = services.distribution_create(
        actor=owner, gift_id=gift.pk, member_ids=ids, reason="会员日赠礼", idempotency_key=key()
    )
    assert batch.total == 4
    done = services.distribution_run(actor=owner, distribution_id=batch.pk)
    assert (done.given, done.skipped, done.status) == (3, 1, "done")
    skipped = DistributionLine.objects.get(distribution=batch, status="skipped")
    assert (skipped.member_id, skipped.reason_code) == (people[0].pk, "member_not_active")
    gift.refresh_from_db()
    assert gift.stock == 0
    assert Redemption.objects.filter(channel="distribution", points=0).count() == 3
    # Running again gives nothing more.
    again = services.distribution_run(actor=owner, distribution_id=batch.pk)
    assert (again.given, again.skipped) == (3, 1)
    assert GiftMovement.objects.filter(gift=gift, kind="distribute").count() == 3


def test_out_of_stock_skips_the_rest(owner, cashier, make_gift):
    gift = make_gift(stock=1)
    people = [member(cashier) for _ in range(3)]
    batch = services.distribution_create(
        actor=owner,
        gift_id=gift.pk,
        member_ids=[p.pk for p in people],
        reason="x",
        idempotency_key=key(),
    )
    done = services.distribution_run(actor=owner, distribution_id=batch.pk)
    assert (done.given, done.skipped) == (1, 2)
    reasons = set(
        DistributionLine.objects.filter(status="skipped").values_list("reason_code", flat=True)
    )
    assert reasons == {"gift_out_of_stock"}


def test_unknown_members_refuse_the_batch(owner, make_gift):
    gift = make_gift()
    with pytest.raises(DomainError) as exc:
        services.distribution_create(
            actor=owner, gift_id=gift.pk, member_ids=[999999], reason="x", idempotency_key=key()
        )
    assert exc.value.code == "member_not_found" and exc.value.status == 404
