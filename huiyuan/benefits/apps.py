from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "huiyuan.benefits"
    label = "benefits"
    verbose_name = "权益卡"
