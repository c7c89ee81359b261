"""Webhooks in the browser: the owner creates a webhook to a receiver on loopback, copies
the secret shown once, a sale reaches the receiver, the delivery log shows the attempt and
a replay sends it again; the API key page sets scopes and a limit. No page breaks the CSP."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.permissions import Role
from huiyuan.events.dispatch import events_dispatch
from huiyuan.ledger.tests.factories import card, default_rule, key
from huiyuan.stores.models import ApiKey, Terminal
from huiyuan.stores.tests.totp import code_for, enrol
from huiyuan.wallet.services import wallet_recharge
from huiyuan.webhooks.delivery import deliveries_send
from huiyuan.webhooks.interest import interest_clear
from huiyuan.webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def receiver():
    got: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/in", got
    server.shutdown()
    server.server_close()


def login_owner(page, staff) -> None:
    device = enrol(staff[Role.OWNER])[0]
    page.goto("/login/")
    page.wait_for_load_state("load")
    page.fill("#id_username", "owner")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_code", code_for(device))
    page.click('[data-testid="verify-form"] button[type=submit]')
    expect(page.locator(".page-title")).to_have_text("概览")


def test_webhook_pages_and_api_key_scopes(page, staff, actors, stores, settings, receiver, shot):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    interest_clear()
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    url, got = receiver
    page.set_default_timeout(60_000)  # the shared machine is slow under load
    page.add_init_script(WATCH_CSP)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda dialog: dialog.accept())
    login_owner(page, staff)

    page.locator('[data-testid="nav-webhooks"]').click()
    page.wait_for_load_state("load")
    expect(page.locator(".page-title")).to_have_text("网络钩子")
    page.locator('[data-testid="webhook-new"]').click()
    page.wait_for_load_state("load")
    page.fill("#id_name", "ERP 系统")
    page.fill("#id_url", url)
    page.locator('input[name=event_names][value="sale.completed"]').check()
    page.locator('input[name=event_names][value="wallet.recharged"]').check()
    shot(page, "webhook-form")
    page.locator('[data-testid="webhook-save"]').click()
    page.wait_for_load_state("load")
    secret = page.locator('[data-testid="webhook-secret"]').input_value()
    assert secret.startswith("whsec_")
    shot(page, "webhook-secret")
    sub = WebhookSubscription.objects.get()

    # A recharge and a sale, then the worker's rounds.
    owner, cashier = actors[Role.OWNER], actors[Role.CASHIER]
    default_rule(owner)
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=20_000, method="cash", idempotency_key=key()
    )
    sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=1_000, card_id=c.pk, balance_fen=1_000),
        idempotency_key=key(),
    )
    events_dispatch()
    deliveries_send()
    assert len(got) == 2
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 2

    page.goto(f"/webhooks/{sub.pk}/")
    page.wait_for_load_state("load")
    expect(page.locator("[data-testid^=delivery-row-]")).to_have_count(2)
    shot(page, "webhook-detail")
    page.locator("[data-testid^=delivery-row-] a").first.click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="delivery-status"]')).to_have_text("已送达")
    expect(page.locator('[data-testid="attempt-1"]')).to_contain_text("200")
    shot(page, "webhook-delivery")
    page.locator('[data-testid="delivery-replay"]').click()
    page.wait_for_load_state("load")
    expect(page.locator(".hy-messages")).to_contain_text("重新发送")
    assert WebhookDelivery.objects.filter(replay_of__isnull=False).count() == 1

    # The API key page: a key with two scopes and a limit.
    terminal = Terminal.objects.create(store=stores[0], code="POS-09", name="9号收银台")
    page.goto("/api-keys/")
    page.wait_for_load_state("load")
    page.select_option("#id_terminal", str(terminal.pk))
    page.locator('input[name=scopes][value="all"]').uncheck()
    page.locator('input[name=scopes][value="members:read"]').check()
    page.locator('input[name=scopes][value="sell"]').check()
    page.fill("#id_rate_limit_per_minute", "120")
    page.locator("form.hy-form-card button[type=submit]").click()
    page.wait_for_load_state("load")
    api_key = ApiKey.objects.get(terminal=terminal)
    assert (api_key.scopes, api_key.rate_limit_per_minute) == (["members:read", "sell"], 120)
    shot(page, "api-keys-scopes")
    page.goto(f"/api-keys/{api_key.pk}/limits/")
    page.wait_for_load_state("load")
    shot(page, "api-key-limits")
    assert page.evaluate("() => window.__csp || []") == []
    assert errors == []
    interest_clear()
