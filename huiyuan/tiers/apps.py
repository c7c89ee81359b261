from django.apps import AppConfig


class TiersConfig(AppConfig):
    name = "huiyuan.tiers"
    label = "tiers"
