from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "huiyuan.catalog"
    label = "catalog"
