from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StoresConfig(AppConfig):
    name = "huiyuan.stores"
    label = "stores"

    def ready(self) -> None:
        from huiyuan.audit import selectors as audit
        from huiyuan.stores.scope import OPS, REACH_LABELS

        audit.register_action_labels(
            {"store_scope_policy.updated": _("Store-scope policy changed")}
        )
        audit.SUBJECT_LABELS.setdefault("store_scope_policy", _("Store-scope policy"))
        # The policy's audit snapshots are {operation: reach}.
        for op, spec in OPS.items():
            audit.FIELD_LABELS.setdefault(op.value, spec.label)
            audit.register_value_labels(op.value, {r.value: t for r, t in REACH_LABELS.items()})
