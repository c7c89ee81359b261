from django.apps import AppConfig


class GiftsConfig(AppConfig):
    name = "huiyuan.gifts"
    label = "gifts"
    verbose_name = "积分礼品"
