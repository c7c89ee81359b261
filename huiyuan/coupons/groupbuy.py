"""Third-party group-buy vouchers (美团 / 抖音 团购券) verified and redeemed at the counter.

An adapter per provider speaks its API; the counter only calls ``verify`` and ``redeem``.
``LocalTestAdapter`` signs every request the way the real open platforms do — the request's
parameters with the app key and a timestamp, sorted by name, joined as ``k=v&…``, signed by
HMAC-SHA256 with the app secret, hex — and sends it to ``LocalTestServer``, an in-process
stand-in that checks the signature and the timestamp before answering. Real adapters
replace the transport, not the counter. A redemption is recorded once per (provider,
code): the row is written first (its unique index refuses a second redemption), then the
provider is asked to redeem, in the same transaction, so a provider refusal leaves no row.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.coupons.models import GroupBuyRedemption
from huiyuan.ledger.commands import command_run

MAX_SKEW_SECONDS = 300


@dataclass(frozen=True)
class Voucher:
    provider: str
    code: str
    deal_title: str
    amount_fen: int


class GroupBuyAdapter(Protocol):
    provider: str
    label: str

    def verify(self, code: str) -> Voucher: ...

    def redeem(self, code: str, *, store_code: str) -> str: ...


def sign(params: Mapping[str, str], secret: str) -> str:
    """HMAC-SHA256 of the parameters sorted by name as ``k=v&…`` (``sign`` left out)."""
    text = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign")
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


@dataclass
class LocalTestServer:
    """The provider's side, in process: vouchers on sale, signature and replay checks."""

    app_key: str
    secret: str
    vouchers: dict[str, tuple[str, int]] = field(default_factory=dict)  # code → deal, fen
    redeemed: set[str] = field(default_factory=set)

    def handle(self, path: str, params: Mapping[str, str]) -> dict[str, object]:
        if params.get("app_key") != self.app_key:
            return {"code": 401, "msg": "unknown app"}
        if not hmac.compare_digest(params.get("sign", ""), sign(params, self.secret)):
            return {"code": 401, "msg": "bad signature"}
        if abs(int(params.get("timestamp", "0")) - int(time.time())) > MAX_SKEW_SECONDS:
            return {"code": 401, "msg": "stale request"}
        code = params.get("code", "")
        if code not in self.vouchers:
            return {"code": 404, "msg": "no such voucher"}
        if code in self.redeemed:
            return {"code": 409, "msg": "already redeemed"}
        title, amount = self.vouchers[code]
        if path == "/verify":
            return {"code": 0, "deal_title": title, "amount_fen": amount}
        self.redeemed.add(code)
        return {"code": 0, "ref": f"{self.app_key}-{code}"}


class LocalTestAdapter:
    """An adapter that signs like the real ones and talks to a ``LocalTestServer``."""

    def __init__(self, provider: str, label: str, server: LocalTestServer) -> None:
        self.provider = provider
        self.label = label
        self.server = server

    def _call(self, path: str, **params: str) -> dict[str, object]:
        body = {**params, "app_key": self.server.app_key, "timestamp": str(int(time.time()))}
        body["sign"] = sign(body, self.server.secret)
        answer = self.server.handle(path, body)
        if answer["code"] == 404:
            raise NotFound(_("Unknown group-buy voucher."), code="groupbuy_not_found")
        if answer["code"] == 409:
            raise Conflict(_("This voucher has already been redeemed."), code="groupbuy_redeemed")
        if answer["code"] != 0:
            raise Conflict(_("The provider refused the request."), code="groupbuy_refused")
        return answer

    def verify(self, code: str) -> Voucher:
        answer = self._call("/verify", code=code)
        return Voucher(
            self.provider, code, str(answer["deal_title"]), int(str(answer["amount_fen"]))
        )

    def redeem(self, code: str, *, store_code: str) -> str:
        return str(self._call("/redeem", code=code, store=store_code)["ref"])


def _local(provider: str, label: str) -> LocalTestAdapter:
    secret = hashlib.sha256(f"{settings.SECRET_KEY}:{provider}".encode()).hexdigest()
    server = LocalTestServer(
        app_key=f"local-{provider}",
        secret=secret,
        vouchers={
            f"{prefix}{n:010d}": (title, amount)
            for prefix, title, amount in (("10", "双人套餐", 9900), ("20", "单人下午茶", 3990))
            for n in range(1, 21)
        },
    )
    return LocalTestAdapter(provider, label, server)


ADAPTERS: dict[str, GroupBuyAdapter] = {
    "meituan": _local("meituan", "美团"),
    "douyin": _local("douyin", "抖音"),
}


def adapter_for(provider: str) -> GroupBuyAdapter:
    adapter = ADAPTERS.get(provider)
    if adapter is None:
        raise ValidationFailed(_("Unknown provider."), code="groupbuy_provider", field="provider")
    return adapter


def _clean(code: str) -> str:
    code = (code or "").strip().replace(" ", "")
    if not code or len(code) > 40:
        raise ValidationFailed(_("Enter the voucher code."), code="groupbuy_code", field="code")
    return code


def groupbuy_verify(*, actor: Actor, provider: str, code: str) -> Voucher:
    require(actor, Perm.COUPON_ISSUE)
    return adapter_for(provider).verify(_clean(code))


def groupbuy_redeem(
    *, actor: Actor, provider: str, code: str, idempotency_key: str
) -> GroupBuyRedemption:
    """Verify and redeem at the actor's store, recorded once per voucher (and key)."""
    require(actor, Perm.COUPON_ISSUE, store_id=actor.store_id, check_store=True)
    if actor.store_id is None:
        raise ValidationFailed(_("Choose the store you work at."), code="store_required")
    adapter = adapter_for(provider)
    code = _clean(code)
    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="groupbuy.redeem",
        payload={"provider": provider, "code": code},
        perform=lambda: _redeem(actor, adapter, provider, code),
        load=lambda pk: GroupBuyRedemption.objects.get(pk=pk),
    )


def _redeem(actor: Actor, adapter: GroupBuyAdapter, provider: str, code: str) -> GroupBuyRedemption:
    assert actor.store_id is not None
    voucher = adapter.verify(code)
    try:
        with transaction.atomic():
            row = GroupBuyRedemption.objects.create(
                provider=provider,
                code=code,
                deal_title=voucher.deal_title[:100],
                amount_fen=voucher.amount_fen,
                store_id=actor.store_id,
                operator=actor.staff,
                provider_ref="",
                created_at=timezone.now(),
            )
            row.provider_ref = adapter.redeem(code, store_code=str(actor.store_id))[:80]
            row.save(update_fields=["provider_ref"])
            audit_record(
                actor=actor,
                action="groupbuy.redeemed",
                subject_type="groupbuy",
                subject_id=row.pk,
                after={"provider": provider, "code": code, "amount": voucher.amount_fen},
            )
    except IntegrityError:
        raise Conflict(
            _("This voucher has already been redeemed."), code="groupbuy_redeemed"
        ) from None
    return row
