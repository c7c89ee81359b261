from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "huiyuan.analytics"
    label = "analytics"
    verbose_name = "统计分析"
