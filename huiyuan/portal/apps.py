from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "huiyuan.portal"
    label = "portal"
    verbose_name = "会员中心"
