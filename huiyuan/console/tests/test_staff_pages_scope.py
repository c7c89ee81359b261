"""The staff pages for a store manager: its store's staff, only what it may do offered.

The rules themselves (each refusal's code, nothing changed) are in
``huiyuan/stores/tests/test_staff_scope.py``; here the pages: which rows get buttons, which
roles and stores the form offers, that a refused page is a 403/404 or a form error in
Chinese, and the new-password page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import PASSWORD, make_staff
from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Role
from huiyuan.stores.models import Staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(staff, stores):
    return {
        "east": make_staff("east", Role.CASHIER, [stores[1]]),
        "both": make_staff("both", Role.CASHIER, [stores[0], stores[1]]),
        "hq_here": make_staff("hq_here", Role.HQ_ADMIN, [stores[0]]),
    }


def row(html: str, username: str) -> str:
    return html.split(f'data-testid="staff-actions-{username}"')[1].split("</td>")[0]


def snapshot():
    return (
        list(Staff.objects.order_by("pk").values("pk", "display_name", "role", "password")),
        AuditEvent.objects.count(),
    )


def test_the_staff_page_of_a_store_manager(client_for, staff, stores, people):
    page = client_for(Role.STORE_MANAGER).get(reverse("console:staff"))
    assert page.status_code == 200
    html = page.content.decode()
    listed = {p.username for p in page.context["page"].object_list}
    assert listed == {"manager", "cashier", "both", "hq_here"}  # not "east", nor head office
    cashier = staff[Role.CASHIER]
    assert reverse("console:staff_edit", args=[cashier.pk]) in row(html, "cashier")
    assert reverse("console:staff_password", args=[cashier.pk]) in row(html, "cashier")
    assert reverse("console:staff_set_active", args=[cashier.pk]) in row(html, "cashier")
    for beyond in ("both", "hq_here"):
        assert "无权管理" in row(html, beyond)
        assert "/edit/" not in row(html, beyond) and "/active/" not in row(html, beyond)
    form = page.context["form"]
    assert [c[0] for c in form.fields["role"].choices] == ["store_manager", "cashier"]
    assert [c[0] for c in form.fields["stores"].choices] == [str(stores[0].pk)]
    assert "您可以为自己的门店添加收银员和店长" in html


def test_a_store_manager_adds_a_cashier_and_is_refused_more(client_for, stores):
    client = client_for(Role.STORE_MANAGER)
    data = {
        "username": "li",
        "display_name": "李收银",
        "role": "cashier",
        "stores": [stores[0].pk],
        "password": "Fresh-pass-2026",
    }
    assert client.post(reverse("console:staff"), data).status_code == 302
    assert Staff.objects.get(username="li").role == "cashier"
    before = snapshot()
    for forged in ({"role": "hq_admin"}, {"stores": [stores[1].pk]}):
        response = client.post(reverse("console:staff"), {**data, "username": "x", **forged})
        assert response.status_code == 200
        assert "选择一个有效的选项" in response.content.decode()  # not offered, not accepted
    assert snapshot() == before


def test_pages_of_staff_beyond_a_store_manager(client_for, people):
    client = client_for(Role.STORE_MANAGER)
    before = snapshot()
    assert client.get(reverse("console:staff_edit", args=[people["east"].pk])).status_code == 404
    for name in ("both", "hq_here"):
        for url in ("console:staff_edit", "console:staff_password"):
            response = client.post(
                reverse(url, args=[people[name].pk]),
                {
                    "display_name": "改名",
                    "role": "cashier",
                    "new_password": "New-counter-77",
                    "new_password_again": "New-counter-77",
                },
            )
            assert response.status_code == 403, (name, url)
    disabled = client.post(
        reverse("console:staff_set_active", args=[people["both"].pk]), {"active": "0"}, follow=True
    )
    assert "该员工也在您管辖范围之外的门店任职。" in disabled.content.decode()
    assert snapshot() == before


def test_a_store_manager_gives_a_cashier_a_new_password(client_for, staff):
    client = client_for(Role.STORE_MANAGER)
    cashier = staff[Role.CASHIER]
    url = reverse("console:staff_password", args=[cashier.pk])
    assert client.get(url).status_code == 200
    before = snapshot()
    differ = client.post(url, {"new_password": "New-counter-77", "new_password_again": "x"})
    assert "两次输入的新密码不一致。" in differ.content.decode()
    weak = client.post(url, {"new_password": "12345678", "new_password_again": "12345678"})
    assert weak.status_code == 200 and "密码" in weak.context["form"].errors["new_password"][0]
    assert snapshot() == before
    done = client.post(
        url, {"new_password": "New-counter-77", "new_password_again": "New-counter-77"}
    )
    assert done.status_code == 302
    cashier.refresh_from_db()
    assert cashier.check_password("New-counter-77") and not cashier.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="staff.password_reset").count() == 1
    # One's own password is changed with the current one, on the account page.
    own = client.get(reverse("console:staff_password", args=[staff[Role.STORE_MANAGER].pk]))
    assert own["Location"] == reverse("console:password_change")
