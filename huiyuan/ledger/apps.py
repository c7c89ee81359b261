from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "huiyuan.ledger"
    label = "ledger"
    verbose_name = "ledger"
