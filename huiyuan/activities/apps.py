from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "huiyuan.activities"
    label = "activities"
    verbose_name = "会员活动"
