"""Webhook fixtures: a real HTTP receiver on loopback, loopback allowed as a target, the
interest cache forgotten around each test, and a funded card to sell on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection

from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.events.registry import registry_restore, registry_snapshot
from huiyuan.ledger.tests.factories import card, default_rule, key
from huiyuan.wallet.services import wallet_recharge
from huiyuan.webhooks import services
from huiyuan.webhooks.interest import interest_clear
from huiyuan.webhooks.models import WebhookSubscription
from huiyuan.webhooks.selectors import subscription_secret


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str


@dataclass
class Receiver:
    """Records every request; answers with the next queued status (then ``default``)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    default: int = 200
    answer: bytes = b'{"ok": true}'

    def next_status(self) -> int:
        return self.statuses.pop(0) if self.statuses else self.default


@pytest.fixture(autouse=True)
def _webhook_settings(settings) -> Iterator[None]:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver runs on loopback
    # Tasks inline, set through the settings signal so that django-tasks drops a backend
    # it may have built before the root conftest switched TASKS (an app importing a task
    # module at start-up builds it early).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    interest_clear()
    # Only the webhooks' own subscriber: the other apps' (referrals, analytics…) are tested
    # in their apps, and would add deliveries of their own to every event here.
    saved = registry_snapshot()
    registry_restore(
        {
            name: {k: sub for k, sub in subs.items() if k.startswith("webhooks.")}
            for name, subs in saved.items()
        }
    )
    yield
    registry_restore(saved)
    interest_clear()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append(Received(dict(self.headers.items()), body, self.path))
            self.send_response(state.next_status())
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/huiyuan?src=test"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def subscribe(owner, receiver) -> Callable[..., tuple[WebhookSubscription, str]]:
    def make(*names: str, url: str = "") -> tuple[WebhookSubscription, str]:
        sub = services.subscription_create(
            actor=owner,
            name="ERP",
            url=url or receiver.url,
            event_names=list(names or ("sale.completed",)),
        )
        return sub, subscription_secret(sub)

    return make


@pytest.fixture
def committed(django_capture_on_commit_callbacks) -> Callable[[], AbstractContextManager[None]]:
    """A block whose commit callbacks run at its end, as a real commit would run them, and
    are then forgotten (the test's own transaction never commits)."""

    @contextmanager
    def block() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield
        connection.run_on_commit.clear()

    return block


@pytest.fixture
def funded(owner, cashier, committed):
    with committed():
        default_rule(owner)
        c = card(cashier, owner)
        wallet_recharge(
            actor=cashier, card_id=c.pk, amount_fen=20_000, method="cash", idempotency_key=key()
        )
    return c


@pytest.fixture
def sell(cashier, funded):
    def run(amount: int = 1_000):
        return sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=amount, card_id=funded.pk, balance_fen=amount),
            idempotency_key=key(),
        )

    return run
