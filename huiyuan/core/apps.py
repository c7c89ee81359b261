from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "huiyuan.core"
    label = "core"
