from django.apps import AppConfig


class StockConfig(AppConfig):
    name = "huiyuan.stock"
    label = "stock"

    def ready(self) -> None:
        from huiyuan.checkout import hooks
        from huiyuan.stock.participant import StockParticipant

        hooks.register(StockParticipant())
