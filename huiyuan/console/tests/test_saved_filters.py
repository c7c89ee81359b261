"""Saved filters (常用筛选) on list pages: saved by name, applied by a link, private to the
staff member who saved them, replaced by saving the name again, refused when unnamed."""

from __future__ import annotations

import pytest

from huiyuan.console.models import SavedFilter
from huiyuan.core.permissions import Role

pytestmark = pytest.mark.django_db


def save(client, name: str, query: str, page: str = "member_list"):
    return client.post("/filters/save/", {"page": page, "name": name, "query": query})


def test_save_a_member_filter_and_apply_it(client_for, staff, make_member):
    make_member(name="王小明", mobile="13700000001")
    make_member(name="李四", mobile="13911112222")
    client = client_for(Role.STORE_MANAGER)
    response = save(client, " 王  姓会员 ", "q=wxm&page=3&export=xlsx&status=")
    assert response.status_code == 302
    assert response["Location"] == "/members/?q=wxm"
    saved = SavedFilter.objects.get()
    assert (saved.staff_id, saved.page, saved.name, saved.query) == (
        staff[Role.STORE_MANAGER].pk,
        "member_list",
        "王 姓会员",
        "q=wxm",
    )
    html = client.get("/members/").content.decode()
    assert 'href="?q=wxm"' in html and "王 姓会员" in html
    applied = client.get("/members/?q=wxm").content.decode()
    assert "王小明" in applied and "李四" not in applied


def test_saving_a_name_again_replaces_its_filter(client_for):
    client = client_for(Role.OWNER)
    save(client, "冻结", "status=frozen")
    save(client, "冻结", "status=frozen&tier=2")
    assert list(SavedFilter.objects.values_list("name", "query")) == [
        ("冻结", "status=frozen&tier=2")
    ]


def test_filters_are_private_to_who_saved_them(client_for, staff):
    save(client_for(Role.OWNER), "老板的", "q=13")
    other = client_for(Role.HQ_ADMIN).get("/members/").content.decode()
    assert "老板的" not in other
    saved = SavedFilter.objects.get()
    assert client_for(Role.HQ_ADMIN).post(f"/filters/{saved.pk}/delete/").status_code == 404
    assert SavedFilter.objects.count() == 1
    response = client_for(Role.OWNER).post(f"/filters/{saved.pk}/delete/", follow=True)
    assert "已删除筛选“老板的”。" in response.content.decode()
    assert not SavedFilter.objects.exists()


@pytest.mark.parametrize(
    ("name", "query", "message"),
    [
        ("", "q=1", "请给筛选起一个 1 到 30 个字的名字。"),
        ("x" * 31, "q=1", "请给筛选起一个 1 到 30 个字的名字。"),
        ("空的", "page=2&export=xlsx", "请先选择筛选条件再保存。"),
    ],
)
def test_a_bad_filter_is_refused_and_nothing_saved(client_for, name, query, message):
    client = client_for(Role.OWNER)
    response = client.post(
        "/filters/save/", {"page": "member_list", "name": name, "query": query}, follow=True
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SavedFilter.objects.exists()


def test_an_unknown_page_is_not_saved(client_for):
    assert save(client_for(Role.OWNER), "x", "q=1", page="nope").status_code == 404
    assert not SavedFilter.objects.exists()


def test_other_lists_offer_saved_filters(client_for):
    client = client_for(Role.OWNER)
    for url, page in (
        ("/catalog/products/?q=拿铁", "catalog_products"),
        ("/events/?status=failed", "events"),
    ):
        html = client.get(url).content.decode()
        assert 'data-testid="save-filter"' in html
        assert f'value="{page}"' in html


def test_a_frozen_member_shows_one_badge_on_the_list(client_for, make_member, owner):
    from huiyuan.members.services import member_freeze

    member = make_member(name="王小明", mobile="13700000001")
    member_freeze(actor=owner, member_id=member.pk, earning=False, spending=True, reason="挂失")
    html = client_for(Role.OWNER).get("/members/", {"status": "frozen"}).content.decode()
    row = html[html.index("王小明") :]
    row = row[: row.index("</tr>")]
    assert "冻结消费" in row
    assert "bg-green-lt" not in row
