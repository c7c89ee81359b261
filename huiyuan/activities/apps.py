from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "huiyuan.activities"
    label = "activities"
    verbose_name = "会员活动"

    def ready(self) -> None:
        from huiyuan.activities.participant import ActivityParticipant, PointsDaySource
        from huiyuan.checkout import hooks

        hooks.register(ActivityParticipant())
        hooks.register_points_boost_source(PointsDaySource())
