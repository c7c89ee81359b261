from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouponsConfig(AppConfig):
    name = "huiyuan.coupons"
    label = "coupons"
    verbose_name = _("Coupons")

    def ready(self) -> None:
        from huiyuan.checkout import hooks
        from huiyuan.coupons.redemption import CouponParticipant, CouponSource

        hooks.register(CouponParticipant())
        hooks.register_coupon_source(CouponSource())
