"""Back-office pages: audit log, stores, terminals, staff, API keys, tags, custom fields."""

from django.urls import path

urlpatterns: list = []
