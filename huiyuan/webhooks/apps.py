from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "huiyuan.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from huiyuan.audit import selectors as audit

        audit.register_action_labels(
            {
                "webhook.created": _("Webhook created"),
                "webhook.updated": _("Webhook changed"),
                "webhook.disabled": _("Webhook disabled"),
                "webhook.enabled": _("Webhook enabled"),
                "webhook.deleted": _("Webhook deleted"),
                "webhook.secret_rotated": _("Webhook secret rotated"),
                "webhook.delivery_replayed": _("Webhook delivery replayed"),
            }
        )
        audit.SUBJECT_LABELS.setdefault("webhook", _("Webhook"))
