"""Schemas of follow-up tasks (回访), surveys (问卷) and feedback (意见与投诉)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from huiyuan.api.schemas.common import BusinessDate, Id, In, QueryBool, QueryId, Reason, documented
from huiyuan.core.bounds import NON_BLANK_PATTERN

Note = Annotated[str, Field(max_length=500)]
Outcome = Literal["reached", "no_answer", "call_back", "wrong_number", "refused"]
FollowupStatus = Literal["open", "overdue", "done", "cancelled"]
FollowupReason = Literal["first_purchase", "complaint", "lapse", "manual"]
Title = Annotated[str, Field(max_length=100), documented(minLength=1, pattern=NON_BLANK_PATTERN)]
LongText = Annotated[
    str, Field(max_length=2000), documented(minLength=1, pattern=NON_BLANK_PATTERN)
]
QuestionKind = Literal["single", "multiple", "rating", "text"]
FeedbackCategory = Literal["complaint", "suggestion", "praise", "question"]
FeedbackStatus = Literal["open", "in_progress", "resolved"]


# ------------------------------------------------------------------------------ follow-ups


class FollowupQuery(In):
    store_id: QueryId | None = None
    member_id: QueryId | None = None
    status: Literal["open", "overdue", "done", "cancelled"] | None = None
    reason: FollowupReason | None = None
    mine: QueryBool = False
    overdue: QueryBool = False


class FollowupIn(In):
    member_id: Id
    due_date: BusinessDate
    note: Note = ""
    store_id: Id | None = None
    assignee_id: Id | None = None


class AssignIn(In):
    assignee_id: Id | None = Field(None, description="null: back to the queue")


class AttemptIn(In):
    outcome: Outcome
    note: Note = ""
    next_due_date: BusinessDate | None = Field(None, description="Required for call_back.")


class FollowupCancelIn(In):
    reason: Reason


class NoFieldsIn(In):
    """An empty JSON object: the operation needs nothing more than its path."""


class FollowupAttemptOut(Schema):
    id: int
    followup_id: int
    outcome: str
    note: str
    staff_id: int | None
    next_due_date: dt.date | None
    created_at: dt.datetime


class FollowupOut(Schema):
    id: int
    member_id: int
    member_code: str
    reason: str
    store_id: int
    assignee_id: int | None
    due_date: dt.date
    status: str
    note: str
    attempts: int
    last_outcome: str
    source_type: str
    source_id: int | None
    created_at: dt.datetime
    closed_at: dt.datetime | None


class FollowupDetailOut(FollowupOut):
    history: list[FollowupAttemptOut]


class FollowupPolicyIn(In):
    first_purchase_enabled: StrictBool
    first_purchase_days: Annotated[StrictInt, Field(ge=0, le=60)]
    complaint_days: Annotated[StrictInt, Field(ge=0, le=30)]
    lapse_enabled: StrictBool
    lapse_days: Annotated[StrictInt, Field(ge=7, le=730)]
    lapse_task_days: Annotated[StrictInt, Field(ge=0, le=60)]


class FollowupPolicyOut(Schema):
    first_purchase_enabled: bool
    first_purchase_days: int
    complaint_days: int
    lapse_enabled: bool
    lapse_days: int
    lapse_task_days: int


# --------------------------------------------------------------------------------- surveys


class SurveyIn(In):
    title: Title
    description: str = Field("", max_length=500)


class QuestionIn(In):
    kind: QuestionKind
    text: Annotated[str, Field(max_length=200), documented(minLength=1, pattern=NON_BLANK_PATTERN)]
    required: StrictBool = True
    choices: list[Annotated[str, Field(max_length=60)]] = Field(
        default_factory=list, max_length=20, description="2–20 options for a choice question."
    )


class MoveIn(In):
    offset: Literal[-1, 1]


class QuestionOut(Schema):
    id: int
    position: int
    kind: str
    text: str
    required: bool
    choices: list[str]


class SurveyOut(Schema):
    id: int
    title: str
    description: str
    status: str
    responses_count: int
    invited_count: int
    created_at: dt.datetime
    published_at: dt.datetime | None
    closed_at: dt.datetime | None


class SurveyDetailOut(SurveyOut):
    questions: list[QuestionOut]


class SurveyQuery(In):
    status: Literal["draft", "published", "closed"] | None = None


class SurveyDistributionIn(In):
    target: Literal["everyone", "segment"]
    segment_id: Id | None = None
    sms: StrictBool = False


class SurveyDistributionOut(Schema):
    id: int
    survey_id: int
    target: str
    segment_id: int | None
    sms: bool
    invited: int
    sms_queued: int
    created_at: dt.datetime


class StatsQuery(In):
    store_id: QueryId | None = None


class OptionStatOut(Schema):
    label: str
    count: int
    percent: Annotated[str, Field(description='Share of the answers, e.g. "42.5".')]


class QuestionStatOut(Schema):
    question_id: int
    kind: str
    text: str
    answered: int
    options: list[OptionStatOut]
    average: Annotated[str | None, Field(description='The mean rating, e.g. "4.25".')]
    texts: list[str]


class SurveyStatsOut(Schema):
    survey_id: int
    responses: int
    invited: int
    questions: list[QuestionStatOut]


# -------------------------------------------------------------------------------- feedback


class FeedbackQuery(In):
    store_id: QueryId | None = None
    member_id: QueryId | None = None
    status: FeedbackStatus | None = None
    category: FeedbackCategory | None = None


class FeedbackIn(In):
    member_id: Id
    category: FeedbackCategory
    text: LongText
    store_id: Id | None = None


class ReplyIn(In):
    text: LongText


class FeedbackStatusIn(In):
    status: FeedbackStatus


class OwnerIn(In):
    owner_id: Id | None = None


class ReplyOut(Schema):
    id: int
    staff_id: int | None
    from_member: bool
    text: str
    created_at: dt.datetime


class FeedbackOut(Schema):
    id: int
    member_id: int
    category: str
    text: str
    store_id: int
    status: str
    owner_id: int | None
    source: str
    followup_id: int | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None


class FeedbackDetailOut(FeedbackOut):
    replies: list[ReplyOut]
