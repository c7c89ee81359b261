from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "huiyuan.followups"
    label = "followups"
    verbose_name = "回访"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from huiyuan.audit import selectors as audit
        from huiyuan.care import templates as care_templates
        from huiyuan.followups.automatic import OVERDUE_TEMPLATE, OVERDUE_WORDING

        audit.register_action_labels(
            {
                "followup.created": _("Follow-up created"),
                "followup.assigned": _("Follow-up assigned"),
                "followup.logged": _("Follow-up call logged"),
                "followup.cancelled": _("Follow-up cancelled"),
                "followup.overdue": _("Follow-up overdue"),
                "followup.policy_changed": _("Follow-up settings changed"),
            }
        )
        audit.SUBJECT_LABELS.setdefault("followup", _("Follow-up"))
        audit.SUBJECT_LABELS.setdefault("followup_policy", _("Follow-up settings"))
        # The message the care app sends for us, editable in its template pages.
        care_templates.BUILTIN.setdefault(OVERDUE_TEMPLATE, OVERDUE_WORDING)
