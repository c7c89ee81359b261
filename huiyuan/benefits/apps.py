from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "huiyuan.benefits"
    label = "benefits"
    verbose_name = "权益卡"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from huiyuan.audit import selectors as audit
        from huiyuan.benefits.checkout import BenefitParticipant
        from huiyuan.benefits.services import BenefitSource, benefits_move_to_survivor
        from huiyuan.checkout import hooks
        from huiyuan.members.services import MERGE_STEPS, register_merge_step

        hooks.register(BenefitParticipant())
        hooks.register_benefit_source(BenefitSource())
        if benefits_move_to_survivor not in MERGE_STEPS:
            register_merge_step(benefits_move_to_survivor)
        audit.register_action_labels(
            {
                "benefit.opened": _("Benefit card opened"),
                "benefit.renewed": _("Benefit card renewed"),
                "benefit.renewal_returned": _("Benefit card renewal returned"),
                "benefit.upgraded": _("Benefit card upgraded"),
                "benefit.refund_paid": _("Benefit card refunded"),
                "benefit.closed": _("Benefit card closed"),
                "benefit.reminded": _("Benefit card renewal reminder"),
                "benefit_plan.created": _("Benefit plan created"),
                "benefit_plan.updated": _("Benefit plan changed"),
                "package.validity_changed": _("Count card validity changed"),
            }
        )
        audit.SUBJECT_LABELS.setdefault("benefit", _("Benefit card"))
        audit.SUBJECT_LABELS.setdefault("benefit_plan", _("Benefit plan"))
