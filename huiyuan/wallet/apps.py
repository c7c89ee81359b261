from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "huiyuan.wallet"
    label = "wallet"
