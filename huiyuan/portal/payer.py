"""Who pays an order opened in the portal: the member's address when they are on a phone.

A payment provider then offers a page to pay on that same phone (WeChat Pay H5) instead of
a QR code to scan with another one (NATIVE). WeChat's own in-app browser is left out: WeChat
Pay refuses H5 there, and the member can still pay the QR code from the result page.
``order_pay`` opens an order and sends the member on to pay it, for every portal purchase.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse

from huiyuan.core.client import client_ip
from huiyuan.core.errors import DomainError, NotFound, PermissionDenied
from huiyuan.payments import selectors as payment_selectors
from huiyuan.payments.models import OnlineOrder

_PHONE = re.compile(r"Mobile|Android|iPhone|iPod|HarmonyOS", re.IGNORECASE)
_WECHAT_BROWSER = "MicroMessenger"


def phone_payer_ip(request: HttpRequest) -> str:
    """The client's address if the request comes from a phone's browser, else ``""``."""
    agent = request.headers.get("User-Agent", "")
    if _WECHAT_BROWSER.lower() in agent.lower() or not _PHONE.search(agent):
        return ""
    return client_ip(request) or ""


def order_pay(
    request: HttpRequest, result_route: str, create: Callable[..., OnlineOrder]
) -> tuple[HttpResponse | None, str]:
    """Open an order with ``create(notify_base_url=, return_url=, payer_client_ip=)`` and
    send the member to pay it: the provider's page (H5) or our result page with the QR code.

    A refusal comes back as its message (and no response) for the form to show; a missing
    object stays a 404 and a forbidden one a 403.
    """
    try:
        order = create(
            notify_base_url=payment_selectors.notify_base_url(request.build_absolute_uri("/")),
            return_url=request.build_absolute_uri(reverse(result_route, args=["NUMBER"])).replace(
                "NUMBER", "{number}"
            ),
            payer_client_ip=phone_payer_ip(request),
        )
    except PermissionDenied:
        raise
    except DomainError as exc:
        if isinstance(exc, NotFound) and exc.code == "not_found":
            raise
        return None, str(exc.message)
    if order.pay_url:
        return HttpResponseRedirect(order.pay_url), ""
    return redirect(result_route, number=order.number), ""
