"""Survey and feedback services: building, distributing, answering; feedback threads."""

from huiyuan.surveys.services.answering import AnswerInput, survey_answer, survey_answered
from huiyuan.surveys.services.builder import (
    QuestionInput,
    question_add,
    question_delete,
    question_move,
    question_update,
    survey_close,
    survey_create,
    survey_publish,
    survey_update,
)
from huiyuan.surveys.services.distribution import survey_distribute
from huiyuan.surveys.services.feedback import (
    feedback_assign,
    feedback_file,
    feedback_file_by_member,
    feedback_reply,
    feedback_reply_by_member,
    feedback_set_status,
)

__all__ = [
    "AnswerInput",
    "QuestionInput",
    "feedback_assign",
    "feedback_file",
    "feedback_file_by_member",
    "feedback_reply",
    "feedback_reply_by_member",
    "feedback_set_status",
    "question_add",
    "question_delete",
    "question_move",
    "question_update",
    "survey_answer",
    "survey_answered",
    "survey_close",
    "survey_create",
    "survey_distribute",
    "survey_publish",
    "survey_update",
]
