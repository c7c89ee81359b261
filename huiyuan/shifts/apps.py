from django.apps import AppConfig


class ShiftsConfig(AppConfig):
    name = "huiyuan.shifts"
    label = "shifts"
