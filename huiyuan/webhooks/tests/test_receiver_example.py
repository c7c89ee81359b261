"""The receiver example in docs/webhooks.md, run as written against a real delivery."""

from __future__ import annotations

import re
import threading
import types
import urllib.error
import urllib.request
from http.server import HTTPServer
from pathlib import Path

import pytest

from huiyuan.events.models import OutboxEvent
from huiyuan.webhooks import services
from huiyuan.webhooks.delivery import deliveries_send, fan_out
from huiyuan.webhooks.models import WebhookDelivery
from huiyuan.webhooks.selectors import subscription_secret

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def example_module() -> types.ModuleType:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### A receiver in Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    module = types.ModuleType("webhook_receiver_example")
    exec(compile(code.group(1), str(DOC), "exec"), module.__dict__)  # noqa: S102 - our own doc
    return module


def test_the_documented_receiver_accepts_a_real_delivery_and_refuses_a_forgery(owner, sell):
    example = example_module()
    server = HTTPServer(("127.0.0.1", 0), example.Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/huiyuan"
        sub = services.subscription_create(
            actor=owner, name="doc", url=url, event_names=["sale.completed"]
        )
        example.SECRET = subscription_secret(sub).encode()
        sell()
        fan_out(OutboxEvent.objects.get(name="sale.completed"))
        deliveries_send()
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.last_status_code) == ("succeeded", 204)
        assert example.seen == {str(delivery.uid)}
        forged = urllib.request.Request(
            url,
            data=delivery.body.encode(),
            headers={"X-Huiyuan-Signature": "t=1,v1=00", "X-Huiyuan-Delivery": "x"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=5)  # noqa: S310 - loopback
        assert refused.value.code == 401
        assert example.seen == {str(delivery.uid)}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
