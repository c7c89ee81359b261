from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "huiyuan.segments"
    label = "segments"
    verbose_name = "会员分群"
