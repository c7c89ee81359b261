from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "huiyuan.referrals"
    label = "referrals"
    verbose_name = "推荐有礼"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from huiyuan.audit import selectors as audit

        audit.register_action_labels(
            {
                "referral.rewarded": _("Referral reward given"),
                "referral.commission_held": _("Referral commission held"),
                "referral.commission_reversed": _("Referral commission reversed"),
                "referral.commission_released": _("Referral commission released"),
                "referral.commission_paid": _("Referral commission paid out"),
                "referral_policy.updated": _("Referral policy changed"),
            }
        )
        audit.SUBJECT_LABELS.setdefault("referral_policy", _("Referral policy"))
