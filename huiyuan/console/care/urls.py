"""Care pages (same "console" namespace): channels and the delivery log, templates with a
preview, DM campaigns with their progress, care rules, the development outbox."""

from django.urls import path

from huiyuan.console.care import views

urlpatterns = [
    path("care/", views.channels, name="care_channels"),
    path("care/templates/", views.templates, name="care_templates"),
    path("care/templates/new/", views.template_edit, name="care_template_new"),
    path("care/templates/<slug:code>/<slug:channel>/", views.template_edit, name="care_template"),
    path("care/preview/", views.template_preview, name="care_preview"),
    path("care/campaigns/", views.campaigns, name="care_campaigns"),
    path("care/campaigns/<int:campaign_id>/", views.campaign, name="care_campaign"),
    path(
        "care/campaigns/<int:campaign_id>/start/", views.campaign_start, name="care_campaign_start"
    ),
    path("care/rules/", views.rules, name="care_rules"),
    path("care/dates/", views.care_dates, name="care_dates"),
    path("care/outbox/", views.outbox, name="care_outbox"),
]
