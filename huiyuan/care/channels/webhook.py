"""Webhook: the message as signed JSON to the merchant's own system (its SMS platform, its
app push), ``X-Huiyuan-Signature: sha256=<hex HMAC of the body>``. Options: ``url``,
``secret``."""

from __future__ import annotations

import hashlib
import hmac
import json

from huiyuan.care.channels import Channel, Message, Result
from huiyuan.care.channels.http import request


class WebhookChannel(Channel):
    def send(self, message: Message) -> Result:
        body = json.dumps(
            {
                "delivery": message.delivery_id,
                "template": message.template_code,
                "member_id": message.member_id,
                "to": message.to,
                "subject": message.subject,
                "body": message.body,
                "params": message.params,
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        sig = hmac.new(str(self.options["secret"]).encode(), body, hashlib.sha256).hexdigest()
        status, text = request(
            "POST",
            self.options["url"],
            body=body,
            headers={"Content-Type": "application/json", "X-Huiyuan-Signature": f"sha256={sig}"},
            timeout=float(self.options.get("timeout", 10)),
        )
        return Result(ok=200 <= status < 300, response=f"HTTP {status}: {text[:900]}")
