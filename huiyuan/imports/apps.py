from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "huiyuan.imports"
    label = "imports"
    verbose_name = "Imports"
