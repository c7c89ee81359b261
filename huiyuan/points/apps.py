from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "huiyuan.points"
    label = "points"
