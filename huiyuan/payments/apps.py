from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "huiyuan.payments"
    label = "payments"
    verbose_name = "在线支付"

    def ready(self) -> None:
        from huiyuan.checkout import hooks
        from huiyuan.payments.participant import PinParticipant

        hooks.register(PinParticipant())
