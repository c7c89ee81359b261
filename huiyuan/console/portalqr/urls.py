"""Joining QR codes for the member portal (same "console" namespace)."""

from django.urls import path

from huiyuan.console.portalqr import views

urlpatterns = [
    path("portal-qr/", views.portal_qr, name="portal_qr"),
]
