from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "huiyuan.referrals"
    label = "referrals"
    verbose_name = "推荐有礼"
