"""Public endpoints of care (no sign-in): the 退订 link in marketing messages, the SMS
gateway's inbound-reply callback (a member replying ``TD``/``退订``) and the SMS
providers' delivery receipts (回执)."""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from huiyuan.care.channels import aliyun, channel_settings, tencent
from huiyuan.care.sending import receipts_apply
from huiyuan.care.services import sms_reply_receive, unsubscribe_by_token

# provider in the receipt address → (the adapter's backend path, its receipt module)
RECEIPT_ADAPTERS: dict[str, tuple[str, Any]] = {
    "aliyun": ("huiyuan.care.channels.aliyun.AliyunSmsChannel", aliyun),
    "tencent": ("huiyuan.care.channels.tencent.TencentSmsChannel", tencent),
}


@require_GET
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click, honoured at once: no marketing message is sent after this."""
    member = unsubscribe_by_token(token)
    return render(
        request,
        "care/unsubscribed.html",
        {"ok": member is not None},
        status=200 if member is not None else 404,
    )


def _replies(request: HttpRequest) -> list[dict[str, Any]]:
    """The replies in a callback: Tencent Cloud posts a JSON object or list (``mobile``,
    ``text``), Aliyun a JSON list (``phone_number``, ``content``); a form works too."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"null")
        except ValueError:
            return []
        items = data if isinstance(data, list) else [data]
        return [i for i in items if isinstance(i, dict)]
    return [request.POST.dict()]


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest, secret: str) -> HttpResponse:
    expected = str(getattr(settings, "HUIYUAN_CARE_INBOUND_SECRET", "") or "")
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        raise Http404
    handled = 0
    for item in _replies(request)[:100]:
        mobile = str(item.get("mobile") or item.get("phone_number") or item.get("phone") or "")
        text = str(item.get("text") or item.get("content") or "")
        handled += sms_reply_receive(mobile=mobile, content=text)
    # Both providers read a JSON answer with a zero result code as "received".
    return JsonResponse(
        {"result": 0, "errmsg": "OK", "code": 0, "msg": "成功", "opted_out": handled}
    )


@csrf_exempt
@require_POST
def sms_receipt(request: HttpRequest, provider: str, secret: str) -> HttpResponse:
    """An SMS provider's delivery receipts (回执), at the address set in its console:
    ``/care/sms/receipt/<aliyun|tencent>/<receipt_secret>/``. Only for the adapter the SMS
    channel is configured with, and only with its ``receipt_secret`` (neither provider signs
    these pushes; the secret address is what they document). Answers in the provider's
    format; an unknown message id is refused (HTTP 400 when nothing in the push is known)."""
    adapter = RECEIPT_ADAPTERS.get(provider)
    conf = channel_settings().get("sms") or {}
    if adapter is None or conf.get("BACKEND") != adapter[0]:
        raise Http404
    expected = str((conf.get("OPTIONS") or {}).get("receipt_secret", "") or "")
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        raise Http404
    backend, module = adapter
    try:
        receipts = module.receipts(request.body)
    except (ValueError, TypeError):
        return JsonResponse({**module.RECEIPT_REFUSED, "error": "not a receipt"}, status=400)
    outcome = receipts_apply(backend, receipts)
    body = {
        **(module.RECEIPT_OK if len(outcome.refused) < len(receipts) else module.RECEIPT_REFUSED),
        "applied": outcome.applied,
        "repeated": outcome.repeated,
        "refused": outcome.refused,
    }
    return JsonResponse(
        body, status=400 if receipts and len(outcome.refused) == len(receipts) else 200
    )
