"""Error pages speak the console's language, keep its layout for staff, and say what to
do next; the API keeps its JSON errors."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory, override_settings

from huiyuan.console.errors import server_error

pytestmark = pytest.mark.django_db


def test_a_missing_page_for_staff_keeps_the_console_and_speaks_chinese(cashier_client):
    response = cashier_client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-page" data-status="404"' in page
    assert "页面不存在" in page and "hy-sidebar" in page  # the console's navigation
    assert "Not Found" not in page


def test_a_missing_page_for_a_visitor_is_plain_but_translated():
    response = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in page and "hy-sidebar" not in page


def test_a_csrf_failure_says_to_reload(cashier_client):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = cashier_client.cookies
    response = strict.post("/counter/basket/", {"op": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert response.status_code == 403
    assert "安全校验" in page and "重新加载页面" in page
    assert "CSRF verification failed" not in page


def test_the_server_error_page_renders_without_a_request_context():
    with override_settings(LANGUAGE_CODE="zh-hans"):
        response = server_error(RequestFactory().get("/x/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "出错了" in page and 'data-status="500"' in page


def test_the_api_keeps_its_json_errors(cashier_client):
    response = cashier_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
