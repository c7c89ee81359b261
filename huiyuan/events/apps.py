from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "huiyuan.events"
    label = "events"

    def ready(self) -> None:
        from huiyuan.audit import selectors as audit

        # Each app's ``subscribers.py`` registers its ``@subscriber`` functions on import.
        autodiscover_modules("subscribers")
        audit.register_action_labels({"event.retried": _("Event delivery retried")})
        audit.SUBJECT_LABELS.setdefault("event", _("Domain event"))
