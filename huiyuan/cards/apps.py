from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "huiyuan.cards"
    label = "cards"

    def ready(self) -> None:
        from huiyuan.cards import services
        from huiyuan.members.services import register_merge_step

        register_merge_step(services.cards_move_to_survivor)
