from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "huiyuan.core"
    label = "core"

    def ready(self) -> None:
        from huiyuan.core import jsonlog, metrics

        metrics.install()  # count domain events (sales) as their transactions commit
        jsonlog.install()  # stamp log records with the id of the request that made them
