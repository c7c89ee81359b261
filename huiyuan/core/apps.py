from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "huiyuan.core"
    label = "core"

    def ready(self) -> None:
        from huiyuan.core import metrics

        metrics.install()  # count domain events (sales) as their transactions commit
