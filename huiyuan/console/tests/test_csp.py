"""The Content-Security-Policy and transport settings: the header on console pages allows no
inline script, the templates need none, and HTTPS turns on Secure cookies and HSTS."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from conftest import PASSWORD
from huiyuan.core.permissions import Role

ROOT = Path(__file__).resolve().parents[3]
# Every app's templates: the console's today, the member portal's when it comes.
TEMPLATE_DIRS = sorted((ROOT / "huiyuan").glob("*/templates"))

COMMENT = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
DATA_BLOCK = re.compile(r"""\btype\s*=\s*["']application/(ld\+)?json["']""", re.I)
TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.S)
HANDLER = re.compile(r"""\son[a-z]+\s*=""", re.I)
STYLE_ATTR = re.compile(r"""\sstyle\s*=""", re.I)
STYLE_BLOCK = re.compile(r"<style\b", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def inline_code(text: str) -> list[str]:
    """What in a template would need 'unsafe-inline' under our policy."""
    text = COMMENT.sub("", text)
    found = []
    for match in SCRIPT_TAG.finditer(text):
        attrs = match.group(1)
        if "src=" not in attrs.lower() and not DATA_BLOCK.search(attrs):
            found.append(f"inline <script>: {match.group(0)}")
    for tag in TAG.findall(text):
        if HANDLER.search(tag):
            found.append(f"event handler attribute: {tag[:120]}")
        if STYLE_ATTR.search(tag):
            found.append(f"style attribute: {tag[:120]}")
    if STYLE_BLOCK.search(text):
        found.append("inline <style> block")
    if JS_URL.search(text):
        found.append("javascript: URL")
    return found


def test_the_detector_finds_what_it_looks_for() -> None:
    assert inline_code("<script>alert(1)</script>")
    assert inline_code('<button type="button" onclick="go()">')
    assert inline_code('<form\n  onsubmit="return confirm(1)">')
    assert inline_code('<div style="width: 3rem">')
    assert inline_code("<style>.x { color: red }</style>")
    assert inline_code('<a href="javascript:void(0)">')
    assert not inline_code('<script src="/static/console/console.js"></script>')
    assert not inline_code('<script type="application/json" id="settings">{}</script>')
    assert not inline_code('<button data-confirm="Sure?" data-once>')
    assert not inline_code("{# an inline <script> in a comment is not served #}")


@pytest.mark.parametrize(
    "path",
    [p for d in TEMPLATE_DIRS for p in sorted(d.rglob("*.html"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_templates_have_no_inline_script_handler_or_style(path: Path) -> None:
    assert inline_code(path.read_text(encoding="utf-8")) == []


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(policy: dict[str, list[str]]) -> None:
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    for values in policy.values():
        assert "'unsafe-inline'" not in values
        assert "'unsafe-eval'" not in values


@pytest.mark.django_db
def test_console_pages_carry_the_policy(client_for, staff) -> None:
    anonymous = Client()
    assert_strict(policy_of(anonymous.get("/login/")))
    owner = client_for(Role.OWNER)
    cashier = client_for(Role.CASHIER)
    for client, url in [
        (owner, "/"),
        (owner, "/members/"),
        (owner, "/members/new/"),
        (owner, "/staff/"),
        (owner, "/api-keys/"),
        (owner, "/account/security/"),
        (cashier, "/counter/sale/"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(policy_of(response))


@pytest.mark.django_db
def test_api_answers_carry_the_policy_too(staff) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert_strict(policy_of(response))


def settings_under(env: dict[str, str]) -> dict[str, object]:
    """Read the security settings as a fresh process with ``env`` would."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({k: getattr(settings, k, None) for k in ("
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
        "'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER', 'LANGUAGE_COOKIE_SECURE')}, "
        "default=list))"
    )
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HUIYUAN_HTTPS")}
    full_env.update({"DJANGO_SETTINGS_MODULE": "huiyuan.settings", **env})
    out = subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_https_turns_on_secure_cookies_hsts_and_the_proxy_header() -> None:
    values = settings_under({"HUIYUAN_HTTPS": "1"})
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "LANGUAGE_COOKIE_SECURE": True,
    }


def test_the_local_http_demo_keeps_plain_cookies() -> None:
    values = settings_under({})
    assert values == {
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_PROXY_SSL_HEADER": None,
        "LANGUAGE_COOKIE_SECURE": False,
    }


@pytest.mark.django_db
def test_text_people_typed_is_escaped_in_pages(client_for, make_member) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    member = make_member(occupation=payload, preferences=payload, region=payload)
    page = client_for(Role.OWNER).get(f"/members/{member.pk}/").content.decode()
    assert payload not in page
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
        in page
    )


@pytest.mark.django_db
def test_session_cookie_is_http_only_and_same_site(staff) -> None:
    client = Client()
    response = client.post("/login/", {"username": "cashier", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 12 * 3600


@pytest.mark.django_db
def test_pages_carry_the_other_browser_protections(staff) -> None:
    response = Client().get("/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_console_posts_need_the_csrf_token(staff) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "cashier", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    page = client.get("/login/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/login/", {"username": "cashier", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
