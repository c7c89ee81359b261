"""Survey and feedback pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console.surveys import feedback, surveys

urlpatterns = [
    path("surveys/", surveys.survey_list, name="survey_list"),
    path("surveys/new/", surveys.survey_create, name="survey_create"),
    path("surveys/<int:survey_id>/", surveys.survey_detail, name="survey_detail"),
    path("surveys/<int:survey_id>/edit/", surveys.survey_edit, name="survey_edit"),
    path("surveys/<int:survey_id>/questions/", surveys.question_add, name="survey_question_add"),
    path(
        "surveys/<int:survey_id>/questions/<int:question_id>/",
        surveys.question_action,
        name="survey_question_action",
    ),
    path("surveys/<int:survey_id>/status/", surveys.survey_status, name="survey_status"),
    path("surveys/<int:survey_id>/send/", surveys.survey_distribute, name="survey_distribute"),
    path("surveys/<int:survey_id>/link/", surveys.survey_preview_link, name="survey_link"),
    path("surveys/<int:survey_id>/stats/", surveys.survey_stats, name="survey_stats"),
    path(
        "surveys/<int:survey_id>/responses.xlsx",
        surveys.survey_export_xlsx,
        name="survey_export",
    ),
    path("feedback/", feedback.feedback_list, name="feedback_list"),
    path("feedback/new/", feedback.feedback_create, name="feedback_create"),
    path("feedback/<int:feedback_id>/", feedback.feedback_detail, name="feedback_detail"),
    path("feedback/<int:feedback_id>/status/", feedback.feedback_status, name="feedback_status"),
]
