"""Payment providers: the sandbox always, WeChat Pay and Alipay when configured.

``PAYMENTS_PROVIDERS`` (settings, from ``HUIYUAN_PAYMENTS_PROVIDERS``) lists the providers
offered to payers, in order; a provider that is listed but not configured is left out.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import ValidationFailed
from huiyuan.payments.providers import alipay, wechat
from huiyuan.payments.providers.base import PaymentProvider
from huiyuan.payments.providers.sandbox import SandboxProvider

DEFAULT_PROVIDERS = ("sandbox",)


def providers_enabled() -> list[str]:
    listed = getattr(settings, "PAYMENTS_PROVIDERS", DEFAULT_PROVIDERS)
    ready = {"sandbox": True, "wechat": wechat.configured(), "alipay": alipay.configured()}
    return [code for code in listed if ready.get(code)]


def provider_get(code: str) -> PaymentProvider:
    """The adapter for ``code``; an unknown or disabled provider is refused."""
    if code not in providers_enabled():
        raise ValidationFailed(
            _("This payment method is not available."),
            code="provider_unavailable",
            field="provider",
        )
    if code == "wechat":
        return wechat.WeChatPayProvider()
    if code == "alipay":
        return alipay.AlipayProvider()
    return SandboxProvider()
