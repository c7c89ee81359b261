"""The console's joining QR page: a signed link per store and staff member, in scope."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from huiyuan.core.permissions import Role
from huiyuan.selfservice.joinlink import join_link_read

pytestmark = pytest.mark.django_db


def test_manager_prints_a_staff_qr_for_their_store(client, staff, stores):
    client.force_login(staff[Role.STORE_MANAGER])
    page = client.get("/portal-qr/").content.decode()
    assert stores[0].name in page and stores[1].name not in page  # store scope
    response = client.get(
        "/portal-qr/", {"store": stores[0].pk, "staff": staff[Role.CASHIER].pk}
    ).content.decode()
    url = re.search(r'data-testid="portal-qr-url">([^<]+)<', response).group(1).strip()
    token = parse_qs(urlparse(url.replace("&amp;", "&")).query)["t"][0]
    link = join_link_read(token)
    assert link is not None
    assert (link.store_id, link.staff_id, link.referrer_code) == (
        stores[0].pk,
        staff[Role.CASHIER].pk,
        "",
    )
    assert "data:image/svg+xml;base64," in response


def test_another_store_is_refused(client, staff, stores):
    client.force_login(staff[Role.STORE_MANAGER])
    response = client.get("/portal-qr/", {"store": stores[1].pk})
    assert "portal-qr-poster" not in response.content.decode()


def test_unknown_referrer_is_refused(client, staff, stores):
    client.force_login(staff[Role.OWNER])
    response = client.get("/portal-qr/", {"store": stores[0].pk, "referrer": "8000000000"})
    assert "没有使用此会员号的有效会员" in response.content.decode()


def test_join_link_tampering_is_detected(stores):
    assert join_link_read("abc") is None
    assert join_link_read("") is None
