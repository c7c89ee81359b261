"""Aliyun SMS (阿里云短信, ``dysmsapi`` ``SendSms``) with the RPC signature (HMAC-SHA1) as
Aliyun documents it:

1. every parameter (common and the action's), sorted by name, each name and value
   percent-encoded (RFC 3986: unreserved ``A-Z a-z 0-9 - _ . ~`` kept, space ``%20``);
2. ``StringToSign = "GET&" + enc("/") + "&" + enc(canonicalized query)``;
3. ``Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))``.

Delivery receipts (回执, ``SmsReport``, HTTP batch push): Aliyun POSTs a JSON list
(``biz_id``, ``phone_number``, ``success``, ``err_code``, ``err_msg``; the international
form ``MessageId``, ``To``, ``Status`` 1/2/6, ``ErrorCode``) to the receiving address set in
its console, and expects ``{"code": 0, "msg": …}`` with HTTP 200 (else it pushes again
after 1, 5 and 10 minutes). Aliyun does not sign these pushes; what it documents is the
address, so that address carries a secret (``receipt_secret``), checked in constant time.

Options: ``access_key_id``, ``access_key_secret``, ``sign_name`` (短信签名),
``templates`` (our template code → Aliyun ``SMS_…`` code), ``endpoint`` (default
``https://dysmsapi.aliyuncs.com/``), ``region`` (default ``cn-hangzhou``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
import uuid
from typing import Any

from huiyuan.care.channels import Channel, Message, Receipt, Result
from huiyuan.care.channels.http import request

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"


def percent_encode(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def canonicalized_query(params: dict[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))


def string_to_sign(method: str, params: dict[str, str]) -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonicalized_query(params))}"


def signature(secret: str, method: str, params: dict[str, str]) -> str:
    """The ``Signature`` of ``params`` (which must not contain it)."""
    digest = hmac.new(
        f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


def signed_query(
    *,
    access_key_id: str,
    secret: str,
    action_params: dict[str, str],
    now: dt.datetime | None = None,
    nonce: str | None = None,
    region: str = "cn-hangzhou",
) -> str:
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    params = {
        "AccessKeyId": access_key_id,
        "Format": "JSON",
        "RegionId": region,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "Timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
        **action_params,
    }
    sig = signature(secret, "GET", params)
    return f"Signature={percent_encode(sig)}&{canonicalized_query(params)}"


class AliyunSmsChannel(Channel):
    def send(self, message: Message) -> Result:
        opts: dict[str, Any] = self.options
        provider_template = (opts.get("templates") or {}).get(message.template_code)
        if not provider_template:
            return Result(
                ok=False,
                response=f"no Aliyun template for {message.template_code}",
                retryable=False,
            )
        query = signed_query(
            access_key_id=opts["access_key_id"],
            secret=opts["access_key_secret"],
            region=opts.get("region", "cn-hangzhou"),
            action_params={
                "Action": "SendSms",
                "PhoneNumbers": message.to,
                "SignName": opts["sign_name"],
                "TemplateCode": provider_template,
                "TemplateParam": json.dumps(
                    {k: str(v) for k, v in message.params.items()}, ensure_ascii=False
                ),
            },
        )
        endpoint = opts.get("endpoint", DEFAULT_ENDPOINT)
        status, text = request("GET", f"{endpoint}?{query}", timeout=float(opts.get("timeout", 10)))
        try:
            answer = json.loads(text)
        except ValueError:
            return Result(ok=False, response=f"HTTP {status}: {text}")
        if status == 200 and answer.get("Code") == "OK":
            return Result(ok=True, provider_id=str(answer.get("BizId", "")), response=text)
        # Throttling and server errors pass; a bad signature, template or number will not.
        code = str(answer.get("Code", ""))
        retryable = status >= 500 or code.startswith("isv.BUSINESS_LIMIT") or "Throttling" in code
        return Result(ok=False, response=text, retryable=retryable)


def receipts(body: bytes) -> list[Receipt]:
    """The receipts of one ``SmsReport`` push (raises ValueError when it is not one)."""
    data = json.loads(body or b"null")
    if not isinstance(data, list):
        raise ValueError("SmsReport is a JSON list")
    found = []
    for item in data[:1000]:
        if not isinstance(item, dict):
            raise ValueError("SmsReport item is an object")
        if "biz_id" in item:
            delivered = item.get("success") is True
            provider_id, mobile = str(item["biz_id"]), str(item.get("phone_number", ""))
            code, text = str(item.get("err_code", "")), str(item.get("err_msg", ""))
        elif "MessageId" in item:
            delivered = str(item.get("Status")) == "1"
            provider_id, mobile = str(item["MessageId"]), str(item.get("To", ""))
            code, text = str(item.get("ErrorCode", "")), str(item.get("ErrorDescription", ""))
        else:
            raise ValueError("SmsReport item without biz_id")
        found.append(
            Receipt(
                provider_id=provider_id,
                delivered=delivered,
                mobile=mobile,
                answer=json.dumps(item, ensure_ascii=False),
                error="" if delivered else f"{code} {text}".strip(),
            )
        )
    return found


RECEIPT_OK = {"code": 0, "msg": "接收成功"}
RECEIPT_REFUSED = {"code": 1, "msg": "unknown message"}
