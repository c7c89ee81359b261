from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "huiyuan.checkout"
    label = "checkout"
