from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "huiyuan.followups"
    label = "followups"
    verbose_name = "回访"
