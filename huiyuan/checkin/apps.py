from django.apps import AppConfig


class CheckinConfig(AppConfig):
    name = "huiyuan.checkin"
    label = "checkin"
    verbose_name = "签到"
