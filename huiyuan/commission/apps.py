from django.apps import AppConfig


class CommissionConfig(AppConfig):
    name = "huiyuan.commission"
    label = "commission"

    def ready(self) -> None:
        from huiyuan.checkout import hooks
        from huiyuan.commission.participant import CommissionParticipant

        hooks.register(CommissionParticipant())
