from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "huiyuan.stores"
    label = "stores"
