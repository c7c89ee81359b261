from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "huiyuan.payments"
    label = "payments"
    verbose_name = "在线支付"
