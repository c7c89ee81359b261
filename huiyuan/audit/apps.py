from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "huiyuan.audit"
    label = "audit"
