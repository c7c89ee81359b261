"""Channels against real local servers: SMTP on loopback (aiosmtpd) and SMS gateways on
loopback that check the request signature as Aliyun and Tencent Cloud do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from huiyuan.care import sending
from huiyuan.care.channels import aliyun, tencent
from huiyuan.care.models import Delivery, InboxMessage

pytestmark = pytest.mark.django_db

ALIYUN_KEY, ALIYUN_SECRET = "LTAI-test-key", "aliyun-secret-0123"
TENCENT_ID, TENCENT_KEY = "AKID-test", "tencent-secret-0123"


# ---------------------------------------------------------------------------- e-mail


class Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Collect, int]]:
    handler = Collect()
    with socket.socket() as probe:  # a free port (aiosmtpd connects to its own port)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_email_is_delivered_to_a_real_smtp_server(smtp, settings):
    handler, port = smtp
    settings.HUIYUAN_CARE_CHANNELS = {
        "email": {
            "BACKEND": "huiyuan.care.channels.email.EmailChannel",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "from_email": "care@shop.example"},
        }
    }
    delivery = sending.send_transactional(
        template="verify_code",
        email="li@example.com",
        context={"code": "8642", "purpose": "绑定邮箱"},
    )
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.recipient_masked == "li***@example.com"
    assert len(handler.messages) == 1
    sender, rcpts, raw = handler.messages[0]
    assert (sender, rcpts) == ("care@shop.example", ["li@example.com"])
    mail = message_from_bytes(raw)
    assert str(make_header(decode_header(mail["Subject"]))) == "验证码"
    assert mail["X-Huiyuan-Delivery"] == str(delivery.pk)
    body = mail.get_payload(decode=True).decode(mail.get_content_charset())
    assert "您的验证码是8642，用于绑定邮箱" in body


def test_email_to_a_dead_server_is_retried_not_lost(settings):
    settings.HUIYUAN_CARE_CHANNELS = {
        "email": {
            "BACKEND": "huiyuan.care.channels.email.EmailChannel",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }
    delivery = sending.send_transactional(
        template="verify_code", email="li@example.com", context={"code": "1"}
    )
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.attempts == 1 and delivery.next_attempt_at is not None
    assert "ConnectionRefusedError" in delivery.last_error


# ---------------------------------------------------------------------------- SMS gateways


class Gateway:
    """A loopback HTTP server standing in for a provider; ``check`` answers each request."""

    def __init__(self, check) -> None:
        self.requests: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = {
                    "method": method,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": body,
                }
                gateway.requests.append(seen)
                status, answer = check(seen)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Gateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def aliyun_check(seen: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Verify as Aliyun's RPC gateway does: recompute the HMAC-SHA1 over the sorted,
    percent-encoded parameters (independently of the adapter's code)."""
    query = urllib.parse.urlsplit(seen["path"]).query
    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    given = params.pop("Signature", "")

    def enc(s: str) -> str:
        return urllib.parse.quote(s, safe="~")

    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    to_sign = f"GET&{enc('/')}&{enc(canonical)}"
    expected = base64.b64encode(
        hmac.new(f"{ALIYUN_SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    ).decode()
    if params.get("AccessKeyId") != ALIYUN_KEY or given != expected:
        return 400, {
            "Code": "SignatureDoesNotMatch",
            "Message": "Specified signature is not matched",
        }
    if params.get("Action") != "SendSms" or params.get("TemplateCode") != "SMS_000001":
        return 400, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "template"}
    return 200, {
        "Code": "OK",
        "Message": "OK",
        "BizId": "900619746936498440^0",
        "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
    }


def aliyun_channel(url: str, secret: str = ALIYUN_SECRET) -> dict[str, Any]:
    return {
        "sms": {
            "BACKEND": "huiyuan.care.channels.aliyun.AliyunSmsChannel",
            "OPTIONS": {
                "access_key_id": ALIYUN_KEY,
                "access_key_secret": secret,
                "sign_name": "会员测试",
                "templates": {"verify_code": "SMS_000001"},
                "endpoint": url,
            },
        }
    }


def test_aliyun_sms_is_signed_as_aliyun_checks_it(settings):
    with Gateway(aliyun_check) as gw:
        settings.HUIYUAN_CARE_CHANNELS = aliyun_channel(gw.url)
        delivery = sending.send_transactional(
            template="verify_code",
            mobile="13800001234",
            context={"code": "5566", "purpose": "登录"},
        )
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.provider_id == "900619746936498440^0"
    assert '"Code": "OK"' in delivery.provider_response
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(gw.requests[0]["path"]).query))
    assert params["PhoneNumbers"] == "13800001234"
    assert params["SignName"] == "会员测试"
    assert json.loads(params["TemplateParam"]) == {
        "code": "5566",
        "purpose": "登录",
        "minutes": "5",
    }


def test_aliyun_rejects_a_wrong_secret_and_the_delivery_fails_without_retry(settings):
    with Gateway(aliyun_check) as gw:
        settings.HUIYUAN_CARE_CHANNELS = aliyun_channel(gw.url, secret="wrong")
        delivery = sending.send_transactional(
            template="verify_code", mobile="13800001234", context={"code": "1"}
        )
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert "SignatureDoesNotMatch" in delivery.provider_response
    assert len(gw.requests) == 1


def test_aliyun_signature_matches_the_documented_example():
    # Aliyun's RPC signature documentation example (DescribeRegions, secret "testsecret").
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert aliyun.signature("testsecret", "GET", params) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def tencent_check(seen: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Verify as Tencent Cloud's API gateway does (TC3-HMAC-SHA256), independently."""
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    auth = headers.get("authorization", "")
    timestamp = int(headers["x-tc-timestamp"])
    import datetime as dt

    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{headers['content-type']}\nhost:{headers['host']}\n",
            "content-type;host",
            hashlib.sha256(seen["body"]).hexdigest(),
        ]
    )
    scope = f"{date}/sms/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )

    def h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = h(h(h(f"TC3{TENCENT_KEY}".encode(), date), "sms"), "tc3_request")
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    expected = (
        f"TC3-HMAC-SHA256 Credential={TENCENT_ID}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={sig}"
    )
    if auth != expected or headers.get("x-tc-action") != "SendSms":
        return 200, {
            "Response": {
                "Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad signature"},
                "RequestId": "r-1",
            }
        }
    body = json.loads(seen["body"])
    return 200, {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "5000:1045710669157053657849499619",
                    "PhoneNumber": body["PhoneNumberSet"][0],
                    "Fee": 1,
                    "Code": "Ok",
                    "Message": "send success",
                }
            ],
            "RequestId": "r-2",
        }
    }


def test_tencent_sms_is_signed_with_tc3_as_tencent_checks_it(settings):
    with Gateway(tencent_check) as gw:
        settings.HUIYUAN_CARE_CHANNELS = {
            "sms": {
                "BACKEND": "huiyuan.care.channels.tencent.TencentSmsChannel",
                "OPTIONS": {
                    "secret_id": TENCENT_ID,
                    "secret_key": TENCENT_KEY,
                    "sdk_app_id": "1400000001",
                    "sign_name": "会员测试",
                    "templates": {"verify_code": {"id": "449739", "params": ["code", "minutes"]}},
                    "endpoint": gw.url,
                },
            }
        }
        delivery = sending.send_transactional(
            template="verify_code", mobile="13800005678", context={"code": "7788"}
        )
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT, delivery.provider_response
    assert delivery.provider_id == "5000:1045710669157053657849499619"
    body = json.loads(gw.requests[0]["body"])
    assert body["PhoneNumberSet"] == ["+8613800005678"]
    assert body["TemplateId"] == "449739"
    assert body["TemplateParamSet"] == ["7788", "5"]


def test_tencent_signing_key_derivation_is_deterministic():
    auth = tencent.authorization(
        secret_id="AKID",
        secret_key="key",
        host="sms.tencentcloudapi.com",
        payload=b"{}",
        timestamp=1551113065,
    )
    assert auth.startswith(
        "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/sms/tc3_request, "
        "SignedHeaders=content-type;host, Signature="
    )
    assert len(auth.rsplit("=", 1)[1]) == 64


# ---------------------------------------------------------------------------- inbox, webhook


def test_inbox_channel_puts_the_message_in_the_members_inbox(make_member):
    member = make_member()
    d = sending.delivery_queue(
        template="points_change",
        channel="inbox",
        to=str(member.pk),
        member_id=member.pk,
        context={"name": "王小明", "amount": "+100", "points": 300},
    )
    d.refresh_from_db()
    assert d.status == Delivery.Status.DELIVERED
    inbox = InboxMessage.objects.get(member=member)
    assert inbox.title == "积分变动通知"
    assert inbox.body == "王小明您好，您的积分变动+100，当前积分300。"


def test_webhook_channel_posts_signed_json(settings, make_member):
    secret = "hook-secret"

    def check(seen):
        sig = hmac.new(secret.encode(), seen["body"], hashlib.sha256).hexdigest()
        ok = seen["headers"].get("X-Huiyuan-Signature") == f"sha256={sig}"
        return (200 if ok else 401), {"ok": ok}

    member = make_member()
    with Gateway(check) as gw:
        settings.HUIYUAN_CARE_CHANNELS = {
            "webhook": {
                "BACKEND": "huiyuan.care.channels.webhook.WebhookChannel",
                "OPTIONS": {"url": gw.url, "secret": secret},
            }
        }
        d = sending.delivery_queue(
            template="points_change",
            channel="webhook",
            to=str(member.pk),
            member_id=member.pk,
            context={"amount": "+5"},
        )
    d.refresh_from_db()
    assert d.status == Delivery.Status.SENT
    assert json.loads(gw.requests[0]["body"])["template"] == "points_change"


# ---------------------------------------------------------------------------- receipts (回执)


def _numbered(check):
    """The gateway's check, each accepted message with its own id (as providers do)."""
    count = {"n": 0}

    def numbered(seen):
        status, answer = check(seen)
        count["n"] += 1
        if "BizId" in answer:
            answer = {**answer, "BizId": f"90061974693649{count['n']:04d}^0"}
        if "Response" in answer and "SendStatusSet" in answer["Response"]:
            sent = answer["Response"]["SendStatusSet"][0]
            sent = {**sent, "SerialNo": f"5000:10457106691570536578{count['n']:04d}"}
            answer = {"Response": {**answer["Response"], "SendStatusSet": [sent]}}
        return status, answer

    return numbered


def push(url: str, items: Any) -> tuple[int, dict[str, Any]]:
    """The provider pushing receipts to our address over HTTP, as its gateway does."""
    from huiyuan.care.channels.http import request

    status, text = request(
        "POST",
        url,
        body=json.dumps(items, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
        timeout=120,  # the live server's first request loads every URL conf
    )
    return status, json.loads(text) if text.startswith("{") else {}


def aliyun_report(biz_id: str, mobile: str, success: bool, code: str, text: str) -> dict:
    return {
        "phone_number": mobile,
        "send_time": "2026-11-30 10:00:00",
        "report_time": "2026-11-30 10:00:05",
        "success": success,
        "err_code": code,
        "err_msg": text,
        "sms_size": "1",
        "biz_id": biz_id,
        "out_id": "",
    }


@pytest.mark.django_db(transaction=True)
def test_aliyun_receipts_mark_delivered_or_failed_once_and_refuse_unknown_ids(
    settings, live_server
):
    conf = aliyun_channel("")
    conf["sms"]["OPTIONS"]["receipt_secret"] = "rcpt-7f3a9c"
    with Gateway(_numbered(aliyun_check)) as gw:
        conf["sms"]["OPTIONS"]["endpoint"] = gw.url
        settings.HUIYUAN_CARE_CHANNELS = conf
        first = sending.send_transactional(
            template="verify_code", mobile="13800001234", context={"code": "1"}
        )
        second = sending.send_transactional(
            template="verify_code", mobile="13800004321", context={"code": "2"}
        )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.provider_id) == (Delivery.Status.SENT, "900619746936490001^0")
    assert (second.status, second.provider_id) == (Delivery.Status.SENT, "900619746936490002^0")
    url = f"{live_server.url}/care/sms/receipt/aliyun/rcpt-7f3a9c/"
    reports = [
        aliyun_report(first.provider_id, "13800001234", True, "DELIVERED", "用户接收成功"),
        aliyun_report(second.provider_id, "13800004321", False, "MK:0001", "空号"),
    ]
    assert push(url, reports) == (
        200,
        {"code": 0, "msg": "接收成功", "applied": 2, "repeated": 0, "refused": []},
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Delivery.Status.DELIVERED and first.delivered_at is not None
    assert json.loads(first.receipt)["err_code"] == "DELIVERED"
    assert (second.status, second.last_error) == (Delivery.Status.FAILED, "MK:0001 空号")
    assert json.loads(second.receipt)["err_msg"] == "空号"
    # Aliyun pushes again when unsure: a repeat changes nothing.
    delivered_at = first.delivered_at
    assert push(url, reports)[1]["applied"] == 0
    assert push(url, reports)[1]["repeated"] == 2
    first.refresh_from_db()
    assert (first.status, first.delivered_at) == (Delivery.Status.DELIVERED, delivered_at)
    # An id we never sent, or another number than the recipient's: refused, nothing changes.
    before = list(Delivery.objects.order_by("pk").values_list("status", "receipt"))
    unknown = aliyun_report("111111111111111111^0", "13800001234", True, "DELIVERED", "ok")
    status, answer = push(url, [unknown])
    assert (status, answer["code"], answer["refused"]) == (400, 1, ["111111111111111111^0"])
    other = aliyun_report(second.provider_id, "13900009999", True, "DELIVERED", "ok")
    assert push(url, [other])[0] == 400
    assert list(Delivery.objects.order_by("pk").values_list("status", "receipt")) == before
    # A wrong secret, the other provider's address, a body that is no receipt.
    assert push(f"{live_server.url}/care/sms/receipt/aliyun/wrong/", reports)[0] == 404
    assert push(f"{live_server.url}/care/sms/receipt/tencent/rcpt-7f3a9c/", reports)[0] == 404
    assert push(url, {"hello": 1})[0] == 400
    assert list(Delivery.objects.order_by("pk").values_list("status", "receipt")) == before


@pytest.mark.django_db(transaction=True)
def test_tencent_receipts_over_http(settings, live_server):
    conf = {
        "sms": {
            "BACKEND": "huiyuan.care.channels.tencent.TencentSmsChannel",
            "OPTIONS": {
                "secret_id": TENCENT_ID,
                "secret_key": TENCENT_KEY,
                "sdk_app_id": "1400000001",
                "sign_name": "会员测试",
                "templates": {"verify_code": {"id": "449739", "params": ["code", "minutes"]}},
                "receipt_secret": "tc-rcpt-51e2",
            },
        }
    }
    with Gateway(_numbered(tencent_check)) as gw:
        conf["sms"]["OPTIONS"]["endpoint"] = gw.url
        settings.HUIYUAN_CARE_CHANNELS = conf
        delivery = sending.send_transactional(
            template="verify_code", mobile="13800005678", context={"code": "7788"}
        )
    delivery.refresh_from_db()
    assert delivery.provider_id == "5000:104571066915705365780001"
    url = f"{live_server.url}/care/sms/receipt/tencent/tc-rcpt-51e2/"
    report = {
        "user_receive_time": "2026-11-30 10:00:05",
        "nationcode": "86",
        "mobile": "13800005678",
        "report_status": "SUCCESS",
        "errmsg": "DELIVRD",
        "description": "用户短信送达成功",
        "sid": delivery.provider_id,
    }
    assert push(url, [report]) == (
        200,
        {"result": 0, "errmsg": "OK", "applied": 1, "repeated": 0, "refused": []},
    )
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert json.loads(delivery.receipt)["errmsg"] == "DELIVRD"
    assert push(url, [report])[1]["repeated"] == 1
    status, answer = push(url, [{**report, "sid": "5000:unknown"}])
    assert (status, answer["result"], answer["refused"]) == (400, 1, ["5000:unknown"])
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
