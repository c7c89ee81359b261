from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "huiyuan.api"
    label = "api"
