from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "huiyuan.jobs"
    label = "jobs"
