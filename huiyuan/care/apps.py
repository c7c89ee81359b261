from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "huiyuan.care"
    label = "care"
    verbose_name = "会员关怀与消息"
