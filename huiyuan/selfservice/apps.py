from django.apps import AppConfig


class SelfserviceConfig(AppConfig):
    name = "huiyuan.selfservice"
    label = "selfservice"
    verbose_name = "会员自助"
