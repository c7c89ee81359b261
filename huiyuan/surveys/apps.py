from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "huiyuan.surveys"
    label = "surveys"
    verbose_name = "问卷与反馈"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from huiyuan.audit import selectors as audit
        from huiyuan.care import templates as care_templates
        from huiyuan.surveys.messaging import TEMPLATE, WORDING

        audit.register_action_labels(
            {
                "survey.created": _("Survey created"),
                "survey.updated": _("Survey changed"),
                "survey.question_added": _("Survey question added"),
                "survey.question_changed": _("Survey question changed"),
                "survey.question_removed": _("Survey question removed"),
                "survey.question_moved": _("Survey question moved"),
                "survey.published": _("Survey published"),
                "survey.closed": _("Survey closed"),
                "survey.distributed": _("Survey sent"),
                "feedback.filed": _("Feedback recorded"),
                "feedback.replied": _("Feedback replied to"),
                "feedback.status_changed": _("Feedback status changed"),
                "feedback.assigned": _("Feedback owner changed"),
            }
        )
        audit.SUBJECT_LABELS.setdefault("survey", _("Survey"))
        audit.SUBJECT_LABELS.setdefault("feedback", _("Feedback"))
        # The message the care app sends for us, editable in its template pages.
        care_templates.BUILTIN.setdefault(TEMPLATE, WORDING)
        care_templates.VARIABLES.setdefault("link", _("survey link"))
