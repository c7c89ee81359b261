"""WeChat template messages (公众号模板消息): the adapter interface and a local double.

The real adapter posts ``{"touser": openid, "template_id": …, "data": {key: {"value": …}}}``
to ``/cgi-bin/message/template/send?access_token=…``; the access token comes from a
callable named in the options (``token_provider``), because how a merchant keeps its
token (a central token server, the official-account platform) differs. The double keeps
what it would have sent in the development outbox.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.module_loading import import_string

from huiyuan.care.channels import Channel, Message, Result
from huiyuan.care.channels.http import request
from huiyuan.care.channels.outbox import OutboxChannel

DEFAULT_ENDPOINT = "https://api.weixin.qq.com/cgi-bin/message/template/send"


def template_payload(message: Message, template_id: str) -> dict[str, Any]:
    data = {k: {"value": str(v)} for k, v in message.params.items()}
    data.setdefault("first", {"value": message.subject})
    data.setdefault("remark", {"value": message.body})
    return {"touser": message.to, "template_id": template_id, "data": data}


class WechatTemplateChannel(Channel):
    def send(self, message: Message) -> Result:
        opts = self.options
        template_id = (opts.get("templates") or {}).get(message.template_code)
        if not template_id:
            return Result(ok=False, response="no WeChat template", retryable=False)
        token = import_string(opts["token_provider"])()
        body = json.dumps(template_payload(message, template_id), ensure_ascii=False).encode()
        url = f"{opts.get('endpoint', DEFAULT_ENDPOINT)}?access_token={token}"
        status, text = request("POST", url, body=body, headers={"Content-Type": "application/json"})
        try:
            answer = json.loads(text)
        except ValueError:
            return Result(ok=False, response=f"HTTP {status}: {text}")
        if answer.get("errcode") == 0:
            return Result(ok=True, provider_id=str(answer.get("msgid", "")), response=text)
        return Result(ok=False, response=text, retryable=answer.get("errcode") in (-1, 45009))


class WechatTestDouble(OutboxChannel):
    """Checks the message could be sent as a template message, then keeps it locally."""

    def send(self, message: Message) -> Result:
        if not message.to:
            return Result(ok=False, response="member has no openid", retryable=False)
        payload = template_payload(message, f"test-{message.template_code}")
        result = super().send(message)
        return Result(
            ok=True,
            provider_id=result.provider_id,
            response=json.dumps(payload, ensure_ascii=False)[:1000],
            delivered=True,
        )
