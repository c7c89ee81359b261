"""Segment filters: validation, each kind of condition, store scope, counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from huiyuan.core.errors import Conflict, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.members.models import Member, Tag
from huiyuan.segments.filters import definition_clean
from huiyuan.segments.models import Segment
from huiyuan.segments.selectors import (
    definition_count,
    segment_count,
    segment_list,
    segment_member_ids,
)
from huiyuan.segments.services import profiles_rebuild, segment_create, segment_update

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"colour": "red"}, "colour", "Unknown filter: colour."),
        ({"tiers": "gold"}, "tiers", "tiers must be a list of at most 200 values."),
        ({"stores": [1, True]}, "stores", "stores must list ids (whole numbers)."),
        ({"joined_from": "2026-13-01"}, "joined_from", "joined_from must be a date as YYYY-MM-DD."),
        ({"age_min": -1}, "age_min", "age_min must be a whole number ≥ 0."),
        ({"genders": ["X"]}, "genders", "Gender is M, F or U."),
        ({"rfm_classes": ["vip"]}, "rfm_classes", "Unknown value for rfm_classes: vip."),
        ({"weekdays": [0]}, "weekdays", "Weekdays are 1 (Monday) to 7 (Sunday)."),
        ({"hour_to": 24}, "hour_to", "An hour is 0 to 23."),
        ({"churn_risk_min": 101}, "churn_risk_min", "Churn risk is a percentage from 0 to 100."),
        ({"age_min": 40, "age_max": 30}, "age_max", "The upper age is below the lower one."),
    ],
)
def test_bad_definitions_are_refused(raw, field, message):
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        definition_clean(raw)
    assert exc.value.code == "invalid_segment_filter"
    assert exc.value.field == field
    with translation.override("en"):
        assert str(exc.value.message) == message
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as exc:
        definition_clean(raw)
    assert str(exc.value.message) != message  # people read it in Chinese


def test_definition_is_normalised():
    assert definition_clean({"tags": [3, 1, 3], "genders": [], "regions": [" 杭州 "]}) == {
        "tags": [1, 3],
        "regions": ["杭州"],
    }


def count(owner, definition) -> int:
    return definition_count(actor=owner, definition=definition)


def test_member_filters(make_member, make_sale, owner, stores):
    young = make_member("甲", gender="F", birthday=dt.date(2000, 6, 15), region="浙江杭州")
    old = make_member(
        "乙", gender="M", birthday=dt.date(1970, 1, 1), region="上海", store=stores[1]
    )
    buyer = make_member("丙", gender="F")
    tag = Tag.objects.create(name="VIP")
    old.tags.add(tag)
    make_sale(buyer, 600000, TODAY - dt.timedelta(days=2), hour=20)
    make_sale(young, 1000, TODAY - dt.timedelta(days=200), hour=9)
    profiles_rebuild(today=TODAY)
    from unittest import mock

    with mock.patch("huiyuan.core.clock.local_today", return_value=TODAY):
        assert count(owner, {}) == 3
        assert count(owner, {"genders": ["F"]}) == 2
        assert count(owner, {"age_min": 26, "age_max": 26}) == 1  # 26 today exactly
        assert count(owner, {"age_min": 27}) == 1  # only 乙
        assert count(owner, {"regions": ["杭州", "上海"]}) == 2
        assert count(owner, {"stores": [stores[1].pk]}) == 1
        assert count(owner, {"tags": [tag.pk]}) == 1
        assert count(owner, {"spend_min_fen": 600000}) == 1
        assert count(owner, {"spend_min_fen": 600001}) == 0
        assert (
            count(owner, {"last_purchase_before": (TODAY - dt.timedelta(days=100)).isoformat()})
            == 1
        )
        assert (
            count(owner, {"last_purchase_after": (TODAY - dt.timedelta(days=2)).isoformat()}) == 1
        )
        assert count(owner, {"labels": ["big_spender"]}) == 1
        assert count(owner, {"rfm_classes": ["important_develop"]}) == 1
        assert count(owner, {"hour_from": 18, "hour_to": 23}) == 1
        assert count(owner, {"weekdays": [(TODAY - dt.timedelta(days=2)).isoweekday()]}) == 1
        joined = Member.objects.get(pk=young.pk).joined_at.date().isoformat()
        assert count(owner, {"joined_from": joined, "joined_to": joined}) == 3
    # Only active members are an audience.
    Member.objects.filter(pk=buyer.pk).update(status=Member.Status.CANCELLED)
    assert count(owner, {"genders": ["F"]}) == 1


def test_store_scope_of_author_and_user(make_member, actors, stores):
    make_member("甲", store=stores[0])
    make_member("乙", store=stores[1])
    manager, marketer = actors[Role.STORE_MANAGER], actors[Role.MARKETER]
    chain = segment_create(actor=marketer, name="全部会员", definition={})
    mine = segment_create(actor=manager, name="本店会员", definition={})
    assert mine.store_id == stores[0].pk and chain.store_id is None
    assert segment_count(chain) == 2
    assert segment_count(chain, actor=manager) == 1  # the user's scope applies
    assert segment_count(mine) == 1  # the author's store stays, whoever uses it
    assert segment_count(mine, actor=marketer) == 1
    assert set(segment_member_ids(chain)) == set(Member.objects.values_list("pk", flat=True))
    assert definition_count(actor=manager, definition={}) == 1
    # A store manager sees chain-wide segments and its store's, never another store's.
    other = Segment.objects.create(
        name="东城",
        definition={},
        store=stores[1],
        created_at=chain.created_at,
        updated_at=chain.created_at,
    )
    assert set(segment_list(actor=manager)) == {chain, mine}
    assert other in set(segment_list(actor=marketer))
    with pytest.raises(PermissionDenied) as exc:
        segment_create(actor=manager, name="越界", definition={}, store_id=stores[1].pk)
    assert exc.value.code == "store_forbidden"
    assert not Segment.objects.filter(name="越界").exists()


def test_segment_is_evaluated_each_time(make_member, owner):
    segment = segment_create(actor=owner, name="女性", definition={"genders": ["F"]})
    assert segment_count(segment) == 0
    make_member("丁", gender="F")
    assert segment_count(segment) == 1
    segment = segment_update(actor=owner, segment_id=segment.pk, definition={"genders": ["M"]})
    assert segment_count(segment) == 0


def test_segment_names_are_unique_and_refusals_change_nothing(owner, actors):
    segment_create(actor=owner, name="高价值", definition={})
    with pytest.raises(Conflict) as exc:
        segment_create(actor=owner, name="高价值", definition={})
    assert exc.value.code == "segment_name_taken"
    with pytest.raises(ValidationFailed):
        segment_create(actor=owner, name="坏", definition={"age_min": "x"})
    with pytest.raises(PermissionDenied):
        segment_create(actor=actors[Role.CASHIER], name="收银", definition={})
    assert list(Segment.objects.values_list("name", flat=True)) == ["高价值"]


def test_a_segment_for_a_store_that_does_not_exist_is_refused(owner, stores):
    """Checked before the insert: PostgreSQL checks the foreign key only at commit (a 500)."""
    from huiyuan.core.errors import NotFound
    from huiyuan.segments.models import Segment

    missing = max(s.pk for s in stores) + 1000
    with pytest.raises(NotFound) as exc:
        segment_create(actor=owner, name="不存在的店", definition={}, store_id=missing)
    assert (exc.value.code, exc.value.field) == ("unknown_store", "store_id")
    assert not Segment.objects.exists()
