"""Tencent Cloud SMS (腾讯云短信, ``SendSms`` 2021-01-11) signed with TC3-HMAC-SHA256 as
Tencent Cloud documents it:

1. ``CanonicalRequest = "POST\\n/\\n\\n" + "content-type:…\\nhost:…\\n" + "\\n" +
   "content-type;host" + "\\n" + hex(sha256(payload))``;
2. ``StringToSign = "TC3-HMAC-SHA256\\n" + timestamp + "\\n" + date/sms/tc3_request +
   "\\n" + hex(sha256(CanonicalRequest))``;
3. the key: ``HMAC("TC3"+SecretKey, date)`` → ``HMAC(·, "sms")`` → ``HMAC(·, "tc3_request")``;
   ``Signature = hex(HMAC(key, StringToSign))``, sent in ``Authorization``.

Delivery receipts (回执, 短信下发状态回调): Tencent Cloud POSTs a JSON list (``sid`` = the
``SerialNo`` of the send answer, ``mobile``, ``report_status`` SUCCESS/FAIL, ``errmsg``,
``description``) to the callback address set in its console and expects
``{"result": 0, "errmsg": "OK"}``. Tencent does not sign these callbacks; what it documents
is the address, so that address carries a secret (``receipt_secret``), checked in constant
time.

Options: ``secret_id``, ``secret_key``, ``sdk_app_id``, ``sign_name``, ``templates`` (our
template code → ``{"id": "123456", "params": ["code", "minutes"]}``), ``endpoint``
(default ``https://sms.tencentcloudapi.com/``), ``region`` (default ``ap-guangzhou``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
from typing import Any

from huiyuan.care.channels import Channel, Message, Receipt, Result
from huiyuan.care.channels.http import request

DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com/"
SERVICE = "sms"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def canonical_request(host: str, payload: bytes) -> str:
    headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\n"
    hashed = hashlib.sha256(payload).hexdigest()
    return f"POST\n/\n\n{headers}\n{SIGNED_HEADERS}\n{hashed}"


def authorization(
    *, secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int
) -> str:
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{SERVICE}/tc3_request"
    digest = hashlib.sha256(canonical_request(host, payload).encode()).hexdigest()
    to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{digest}"
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), SERVICE), "tc3_request")
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={sig}"


class TencentSmsChannel(Channel):
    def send(self, message: Message) -> Result:
        opts: dict[str, Any] = self.options
        spec = (opts.get("templates") or {}).get(message.template_code)
        if not spec:
            return Result(
                ok=False,
                response=f"no Tencent template for {message.template_code}",
                retryable=False,
            )
        mobile = message.to if message.to.startswith("+") else f"+86{message.to}"
        payload = json.dumps(
            {
                "PhoneNumberSet": [mobile],
                "SmsSdkAppId": opts["sdk_app_id"],
                "SignName": opts["sign_name"],
                "TemplateId": str(spec["id"]),
                "TemplateParamSet": [
                    str(message.params.get(p, "")) for p in spec.get("params", [])
                ],
                "SessionContext": str(message.delivery_id),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        endpoint = opts.get("endpoint", DEFAULT_ENDPOINT)
        host = urllib.parse.urlsplit(endpoint).netloc
        timestamp = int(dt.datetime.now(dt.UTC).timestamp())
        headers = {
            "Authorization": authorization(
                secret_id=opts["secret_id"],
                secret_key=opts["secret_key"],
                host=host,
                payload=payload,
                timestamp=timestamp,
            ),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": "2021-01-11",
            "X-TC-Region": opts.get("region", "ap-guangzhou"),
        }
        status, text = request(
            "POST", endpoint, body=payload, headers=headers, timeout=float(opts.get("timeout", 10))
        )
        try:
            answer = json.loads(text).get("Response", {})
        except (ValueError, AttributeError):
            return Result(ok=False, response=f"HTTP {status}: {text}")
        if "Error" in answer:
            code = str(answer["Error"].get("Code", ""))
            retryable = code.startswith(("InternalError", "RequestLimitExceeded"))
            return Result(ok=False, response=text, retryable=retryable)
        sent = (answer.get("SendStatusSet") or [{}])[0]
        if sent.get("Code") == "Ok":
            return Result(ok=True, provider_id=str(sent.get("SerialNo", "")), response=text)
        return Result(ok=False, response=text, retryable=False)


def receipts(body: bytes) -> list[Receipt]:
    """The receipts of one status callback (raises ValueError when it is not one)."""
    data = json.loads(body or b"null")
    items = data if isinstance(data, list) else [data]
    found = []
    for item in items[:1000]:
        if not isinstance(item, dict) or "sid" not in item:
            raise ValueError("status callback item without sid")
        delivered = str(item.get("report_status", "")).upper() == "SUCCESS"
        error = f"{item.get('errmsg', '')} {item.get('description', '')}".strip()
        found.append(
            Receipt(
                provider_id=str(item["sid"]),
                delivered=delivered,
                mobile=str(item.get("mobile", "")),
                answer=json.dumps(item, ensure_ascii=False),
                error="" if delivered else error,
            )
        )
    return found


RECEIPT_OK = {"result": 0, "errmsg": "OK"}
RECEIPT_REFUSED = {"result": 1, "errmsg": "unknown message"}
