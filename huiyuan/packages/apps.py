from django.apps import AppConfig


class PackagesConfig(AppConfig):
    name = "huiyuan.packages"
    label = "packages"
    verbose_name = "次卡"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from huiyuan.audit import selectors as audit
        from huiyuan.checkout import hooks
        from huiyuan.members.services import MERGE_STEPS, register_merge_step
        from huiyuan.packages.checkout import PackageParticipant
        from huiyuan.packages.services import packages_move_to_survivor

        hooks.register(PackageParticipant())
        if packages_move_to_survivor not in MERGE_STEPS:
            register_merge_step(packages_move_to_survivor)
        audit.register_action_labels(
            {
                "package.opened": _("Count card opened"),
                "package.used": _("Count card used"),
                "package.use_undone": _("Count card use undone"),
                "package.refunded": _("Count card refunded"),
                "package.cancelled": _("Count card cancelled"),
                "package.expired": _("Count card expired"),
                "package_plan.created": _("Card plan created"),
                "package_plan.updated": _("Card plan changed"),
            }
        )
        audit.SUBJECT_LABELS.setdefault("package", _("Count card"))
        audit.SUBJECT_LABELS.setdefault("package_plan", _("Card plan"))
