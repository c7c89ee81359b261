"""Who pays an order opened in the portal: the member's address when they are on a phone.

A payment provider then offers a page to pay on that same phone (WeChat Pay H5) instead of
a QR code to scan with another one (NATIVE). WeChat's own in-app browser is left out: WeChat
Pay refuses H5 there, and the member can still pay the QR code from the result page.
"""

from __future__ import annotations

import re

from django.http import HttpRequest

from huiyuan.console.auth.client import client_ip

_PHONE = re.compile(r"Mobile|Android|iPhone|iPod|HarmonyOS", re.IGNORECASE)
_WECHAT_BROWSER = "MicroMessenger"


def phone_payer_ip(request: HttpRequest) -> str:
    """The client's address if the request comes from a phone's browser, else ``""``."""
    agent = request.headers.get("User-Agent", "")
    if _WECHAT_BROWSER.lower() in agent.lower() or not _PHONE.search(agent):
        return ""
    return client_ip(request) or ""
