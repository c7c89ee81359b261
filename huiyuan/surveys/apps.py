from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "huiyuan.surveys"
    label = "surveys"
    verbose_name = "问卷与反馈"
