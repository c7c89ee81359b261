"""The category tree: create, rename and move rewrite the subtree's paths; cycles refused."""

from __future__ import annotations

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.catalog import selectors, services
from huiyuan.catalog.models import Category
from huiyuan.catalog.tests.conftest import catalog_snapshot
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(owner):
    """shop › drinks › coffee, and a second top-level category, carwash."""
    shop = services.category_create(actor=owner, code="shop", name="便利店")
    drinks = services.category_create(actor=owner, code="drinks", name="饮料", parent_id=shop.pk)
    coffee = services.category_create(actor=owner, code="coffee", name="咖啡", parent_id=drinks.pk)
    carwash = services.category_create(actor=owner, code="carwash", name="洗车")
    return {"shop": shop, "drinks": drinks, "coffee": coffee, "carwash": carwash}


def fresh(category: Category) -> Category:
    return Category.objects.get(pk=category.pk)


def test_create_records_the_path_from_the_top(tree):
    coffee = fresh(tree["coffee"])
    assert coffee.path == "shop/drinks/coffee"
    assert coffee.path_names == ["便利店", "饮料", "咖啡"]
    assert coffee.depth == 2
    assert selectors.category_path(coffee.pk) == ("shop", "drinks", "coffee")
    assert selectors.category_path(None) == ()
    event = AuditEvent.objects.filter(action="catalog.category_created").order_by("pk")[2]
    assert event.subject_id == str(coffee.pk)
    assert event.after == {
        "code": "coffee",
        "name": "咖啡",
        "parent": "drinks",
        "path": "shop/drinks/coffee",
        "position": 0,
    }


def test_tree_lists_depth_first_by_order_then_creation(owner, tree):
    services.category_create(actor=owner, code="snacks", name="零食", parent_id=tree["shop"].pk)
    services.category_update(actor=owner, category_id=tree["shop"].pk, position=5)
    assert [c.code for c in selectors.category_tree()] == [
        "carwash",  # order 0 before order 5
        "shop",
        "drinks",  # children follow their parent, first created first
        "coffee",
        "snacks",
    ]
    assert selectors.category_choices()[3] == (tree["coffee"].pk, "　　咖啡")


def test_rename_rewrites_the_names_below(owner, tree):
    services.category_update(actor=owner, category_id=tree["drinks"].pk, name="酒水饮料")
    assert fresh(tree["drinks"]).path_names == ["便利店", "酒水饮料"]
    assert fresh(tree["coffee"]).path_names == ["便利店", "酒水饮料", "咖啡"]
    assert fresh(tree["coffee"]).path == "shop/drinks/coffee"
    event = AuditEvent.objects.get(action="catalog.category_updated")
    assert event.before["name"] == "饮料"
    assert event.after["name"] == "酒水饮料"


def test_move_rewrites_the_subtree(owner, tree):
    services.category_update(
        actor=owner, category_id=tree["drinks"].pk, parent_id=tree["carwash"].pk
    )
    drinks, coffee = fresh(tree["drinks"]), fresh(tree["coffee"])
    assert (drinks.path, drinks.depth, drinks.parent_id) == (
        "carwash/drinks",
        1,
        tree["carwash"].pk,
    )
    assert coffee.path == "carwash/drinks/coffee"
    assert coffee.path_names == ["洗车", "饮料", "咖啡"]
    assert coffee.depth == 2
    assert fresh(tree["shop"]).path == "shop"
    # …and to the top level
    services.category_update(actor=owner, category_id=tree["drinks"].pk, parent_id=None)
    assert fresh(tree["coffee"]).path == "drinks/coffee"
    assert fresh(tree["coffee"]).depth == 1
    assert selectors.category_path(tree["coffee"].pk) == ("drinks", "coffee")


@pytest.mark.parametrize("target", ["shop", "drinks", "coffee"])
def test_a_move_under_itself_or_below_is_refused(owner, tree, target):
    before = catalog_snapshot()
    with pytest.raises(ValidationFailed) as refused:
        services.category_update(
            actor=owner, category_id=tree["shop"].pk, parent_id=tree[target].pk
        )
    assert refused.value.code == "category_cycle"
    assert catalog_snapshot() == before


def test_refusals_change_nothing(owner, tree):
    before = catalog_snapshot()
    with pytest.raises(Conflict) as duplicate:
        services.category_create(actor=owner, code="coffee", name="另一个咖啡")
    assert duplicate.value.code == "duplicate_category_code"
    for code in ("Coffee", "咖啡", "", "a/b", "x" * 31, "-x"):
        with pytest.raises(ValidationFailed) as bad:
            services.category_create(actor=owner, code=code, name="X")
        assert bad.value.code == "invalid_category_code"
    with pytest.raises(ValidationFailed) as blank:
        services.category_create(actor=owner, code="tea", name="  ")
    assert blank.value.code == "name_required"
    with pytest.raises(NotFound) as unknown:
        services.category_create(actor=owner, code="tea", name="茶", parent_id=999_999)
    assert unknown.value.code == "unknown_category"
    assert catalog_snapshot() == before


def test_depth_is_limited_on_create_and_on_move(owner, tree):
    level4 = services.category_create(
        actor=owner, code="espresso", name="意式", parent_id=tree["coffee"].pk
    )
    level5 = services.category_create(actor=owner, code="double", name="双份", parent_id=level4.pk)
    before = catalog_snapshot()
    with pytest.raises(ValidationFailed) as deep:
        services.category_create(actor=owner, code="six", name="六", parent_id=level5.pk)
    assert deep.value.code == "category_too_deep"
    # shop's subtree is 5 levels high: it cannot go under carwash
    with pytest.raises(ValidationFailed) as deep_move:
        services.category_update(
            actor=owner, category_id=tree["shop"].pk, parent_id=tree["carwash"].pk
        )
    assert deep_move.value.code == "category_too_deep"
    assert catalog_snapshot() == before


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER])
def test_only_head_office_edits_the_tree(actors, tree, role):
    before = catalog_snapshot()
    with pytest.raises(PermissionDenied):
        services.category_create(actor=actors[role], code="tea", name="茶")
    with pytest.raises(PermissionDenied):
        services.category_update(actor=actors[role], category_id=tree["shop"].pk, name="X")
    assert catalog_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_a_retried_create_returns_the_first_category(owner):
    """Outside any enclosing transaction, as a request runs: the replay finds the key."""
    first = services.category_create(actor=owner, code="tea", name="茶", idempotency_key="k1")
    again = services.category_create(actor=owner, code="tea", name="茶", idempotency_key="k1")
    assert again.pk == first.pk
    assert Category.objects.count() == 1
    assert AuditEvent.objects.filter(action="catalog.category_created").count() == 1
