from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "huiyuan.settlement"
    label = "settlement"
