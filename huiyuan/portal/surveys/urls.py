from django.urls import URLPattern, path

from huiyuan.portal.surveys import views

app_name = "surveys"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("<int:survey_id>/", views.answer, name="answer"),
    path("t/<str:token>/", views.answer_by_token, name="token"),
    path("feedback/new/", views.feedback_new, name="feedback_new"),
    path("feedback/<int:feedback_id>/", views.feedback_detail, name="feedback_detail"),
]
