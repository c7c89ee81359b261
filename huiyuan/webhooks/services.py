"""Writes for webhook subscriptions: create, change, disable, enable, delete, rotate the
secret, and replay a delivery. Owner and head office (``webhook.manage``); each write is
audited in its transaction and, from the API, idempotent by its key.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.pii import encrypt
from huiyuan.events.names import EVENTS
from huiyuan.ledger.commands import command_run
from huiyuan.webhooks.interest import interest_changed
from huiyuan.webhooks.models import WebhookDelivery, WebhookSubscription
from huiyuan.webhooks.signing import secret_new
from huiyuan.webhooks.targets import target_parse

MAX_NAME = 100
SUBJECT = "webhook"


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationFailed(
            _("Enter a name of at most 100 characters."), code="invalid_name", field="name"
        )
    return name


def _clean_events(event_names: list[str]) -> list[str]:
    chosen = sorted(set(event_names or []))
    unknown = [n for n in chosen if n not in EVENTS]
    if not chosen or unknown:
        raise ValidationFailed(
            _("Choose at least one event from the catalogue."),
            code="unknown_event",
            field="event_names",
            details={"unknown": unknown},
        )
    return chosen


def _clean_url(url: str) -> str:
    target_parse(url)
    return url.strip()


def _locked(subscription_id: int) -> WebhookSubscription:
    found = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
    if found is None:
        raise NotFound(_("Webhook subscription not found."), code="webhook_not_found")
    return found


def _state(sub: WebhookSubscription) -> dict[str, Any]:
    return {"name": sub.name, "url": sub.url, "events": sub.event_names, "active": sub.is_active}


def _once(
    *,
    actor: Actor,
    key: str | None,
    kind: str,
    payload: dict[str, Any],
    perform: Any,
    load: Any,
) -> Any:
    if not key:
        return perform()
    return command_run(actor=actor, key=key, kind=kind, payload=payload, perform=perform, load=load)


def _secret_set(sub: WebhookSubscription, secret: str) -> None:
    sub.secret_encrypted = encrypt(secret)
    sub.secret_hint = secret[-4:]


def subscription_create(
    *,
    actor: Actor,
    name: str,
    url: str,
    event_names: list[str],
    idempotency_key: str | None = None,
) -> WebhookSubscription:
    """A new, active subscription with a fresh secret (read it once with
    ``selectors.subscription_secret``; the console and the API show it on creation)."""
    require(actor, Perm.WEBHOOK_MANAGE)
    clean_name, clean_url = _clean_name(name), _clean_url(url)
    clean_events = _clean_events(event_names)

    def perform() -> WebhookSubscription:
        with transaction.atomic():
            sub = WebhookSubscription(
                name=clean_name,
                url=clean_url,
                event_names=clean_events,
                created_by=actor.staff,
            )
            _secret_set(sub, secret_new())
            sub.save()
            audit_record(
                actor=actor,
                action="webhook.created",
                subject_type=SUBJECT,
                subject_id=sub.pk,
                after=_state(sub),
            )
            interest_changed()
        return sub

    return _once(
        actor=actor,
        key=idempotency_key,
        kind="webhook.create",
        payload={"name": clean_name, "url": clean_url, "events": clean_events},
        perform=perform,
        load=lambda pk: WebhookSubscription.objects.get(pk=pk),
    )


def subscription_update(
    *,
    actor: Actor,
    subscription_id: int,
    name: str | None = None,
    url: str | None = None,
    event_names: list[str] | None = None,
    idempotency_key: str | None = None,
) -> WebhookSubscription:
    """Change the name, the target or the events (None: keep)."""
    require(actor, Perm.WEBHOOK_MANAGE)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _clean_name(name)
    if url is not None:
        changes["url"] = _clean_url(url)
    if event_names is not None:
        changes["event_names"] = _clean_events(event_names)

    def perform() -> WebhookSubscription:
        with transaction.atomic():
            sub = _locked(subscription_id)
            before = _state(sub)
            for field, value in changes.items():
                setattr(sub, field, value)
            if _state(sub) != before:
                sub.save()
                audit_record(
                    actor=actor,
                    action="webhook.updated",
                    subject_type=SUBJECT,
                    subject_id=sub.pk,
                    before=before,
                    after=_state(sub),
                )
                interest_changed()
        return sub

    return _once(
        actor=actor,
        key=idempotency_key,
        kind="webhook.update",
        payload={"id": subscription_id, **changes},
        perform=perform,
        load=lambda pk: WebhookSubscription.objects.get(pk=pk),
    )


def _disable(
    actor: Actor, sub: WebhookSubscription, reason: str, note: str = ""
) -> WebhookSubscription:
    """Inside a transaction, with ``sub`` locked."""
    sub.is_active = False
    sub.disabled_reason = reason
    sub.disabled_at = timezone.now()
    sub.save(update_fields=["is_active", "disabled_reason", "disabled_at", "updated_at"])
    audit_record(
        actor=actor,
        action="webhook.disabled",
        subject_type=SUBJECT,
        subject_id=sub.pk,
        before={"active": True},
        after={"active": False, "reason": reason, "failures": sub.consecutive_failures},
        note=note,
    )
    interest_changed()
    return sub


def subscription_disable(
    *, actor: Actor, subscription_id: int, idempotency_key: str | None = None
) -> WebhookSubscription:
    """Stop sending to it. Deliveries still waiting fail when they come due."""
    require(actor, Perm.WEBHOOK_MANAGE)

    def perform() -> WebhookSubscription:
        with transaction.atomic():
            sub = _locked(subscription_id)
            if not sub.is_active:
                raise Conflict(_("This webhook is already disabled."), code="webhook_disabled")
            return _disable(actor, sub, WebhookSubscription.DisabledReason.MANUAL)

    return _once(
        actor=actor,
        key=idempotency_key,
        kind="webhook.disable",
        payload={"id": subscription_id},
        perform=perform,
        load=lambda pk: WebhookSubscription.objects.get(pk=pk),
    )


def subscription_disable_failing(*, actor: Actor, subscription_id: int, failures: int) -> None:
    """The notice of repeated failure: disable (if still active), audited with the count.
    Runs inside the worker's transaction that recorded the failing attempt."""
    sub = _locked(subscription_id)
    if sub.is_active:
        _disable(
            actor,
            sub,
            WebhookSubscription.DisabledReason.FAILURES,
            note=f"{failures} consecutive failed attempts",
        )


def subscription_enable(
    *, actor: Actor, subscription_id: int, idempotency_key: str | None = None
) -> WebhookSubscription:
    """Send to it again, with the failure count back at zero."""
    require(actor, Perm.WEBHOOK_MANAGE)

    def perform() -> WebhookSubscription:
        with transaction.atomic():
            sub = _locked(subscription_id)
            if sub.is_active:
                raise Conflict(_("This webhook is already active."), code="webhook_active")
            _clean_url(sub.url)  # the guard may have become stricter since
            sub.is_active = True
            sub.disabled_reason = ""
            sub.disabled_at = None
            sub.consecutive_failures = 0
            sub.save()
            audit_record(
                actor=actor,
                action="webhook.enabled",
                subject_type=SUBJECT,
                subject_id=sub.pk,
                before={"active": False},
                after={"active": True},
            )
            interest_changed()
        return sub

    return _once(
        actor=actor,
        key=idempotency_key,
        kind="webhook.enable",
        payload={"id": subscription_id},
        perform=perform,
        load=lambda pk: WebhookSubscription.objects.get(pk=pk),
    )


def subscription_rotate_secret(
    *, actor: Actor, subscription_id: int, idempotency_key: str | None = None
) -> WebhookSubscription:
    """A new secret (shown once); the old one stops signing at once."""
    require(actor, Perm.WEBHOOK_MANAGE)

    def perform() -> WebhookSubscription:
        with transaction.atomic():
            sub = _locked(subscription_id)
            _secret_set(sub, secret_new())
            sub.save(update_fields=["secret_encrypted", "secret_hint", "updated_at"])
            audit_record(
                actor=actor,
                action="webhook.secret_rotated",
                subject_type=SUBJECT,
                subject_id=sub.pk,
            )
        return sub

    return _once(
        actor=actor,
        key=idempotency_key,
        kind="webhook.rotate",
        payload={"id": subscription_id},
        perform=perform,
        load=lambda pk: WebhookSubscription.objects.get(pk=pk),
    )


def subscription_delete(*, actor: Actor, subscription_id: int) -> None:
    """Remove it with its delivery log."""
    require(actor, Perm.WEBHOOK_MANAGE)
    with transaction.atomic():
        sub = _locked(subscription_id)
        audit_record(
            actor=actor,
            action="webhook.deleted",
            subject_type=SUBJECT,
            subject_id=sub.pk,
            before=_state(sub),
        )
        sub.delete()
        interest_changed()


def delivery_replay(
    *, actor: Actor, delivery_id: int, idempotency_key: str | None = None
) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery (new id, same body), now."""
    from huiyuan.webhooks.delivery import send_after_commit

    require(actor, Perm.WEBHOOK_MANAGE)

    def perform() -> WebhookDelivery:
        with transaction.atomic():
            original = WebhookDelivery.objects.filter(pk=delivery_id).first()
            if original is None:
                raise NotFound(_("Webhook delivery not found."), code="delivery_not_found")
            sub = _locked(original.subscription_id)
            if not sub.is_active:
                raise Conflict(
                    _("This webhook is disabled: enable it before replaying."),
                    code="webhook_disabled",
                )
            replay = WebhookDelivery.objects.create(
                subscription=sub,
                event_id=original.event_id,
                event_name=original.event_name,
                body=original.body,
                replay_of=original,
                next_attempt_at=timezone.now(),
            )
            audit_record(
                actor=actor,
                action="webhook.delivery_replayed",
                subject_type=SUBJECT,
                subject_id=sub.pk,
                after={"delivery": str(replay.uid), "replay_of": str(original.uid)},
                note=original.event_name,
            )
            send_after_commit()
        return replay

    return _once(
        actor=actor,
        key=idempotency_key,
        kind="webhook.replay",
        payload={"id": delivery_id},
        perform=perform,
        load=lambda pk: WebhookDelivery.objects.get(pk=pk),
    )
