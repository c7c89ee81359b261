"""Demo surveys, feedback and follow-up calls (docs/followups.md): a published survey with
answers, a few pieces of feedback (a complaint makes a follow-up), overdue and open calls.
Loaded once: a second run finds the survey and adds nothing."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from huiyuan.core.clock import local_today
from huiyuan.followups import services as followup_services
from huiyuan.followups.automatic import followups_detect_lapses, followups_mark_overdue
from huiyuan.followups.models import Followup
from huiyuan.members.models import Member
from huiyuan.surveys import services as survey_services
from huiyuan.surveys.models import Survey

TITLE = "门店服务满意度调查"
FEEDBACK = (
    ("complaint", "周六下午排队结账等了二十多分钟，希望高峰期多开收银台。"),
    ("suggestion", "希望积分可以兑换更多日用品。"),
    ("praise", "店员小张服务很耐心，给个赞！"),
)


def load_followups_and_surveys(org: object, *, seed: int = 7, answers: int = 40) -> bool:
    """Load the demo's survey, feedback and calls; False when they are there already."""
    if Survey.objects.filter(title=TITLE).exists():
        return False
    members = list(Member.objects.filter(status=Member.Status.ACTIVE).order_by("pk")[:answers])
    if not members:
        return False
    rng = random.Random(seed)
    marketer = org.actor("marketing")  # type: ignore[attr-defined]
    hq = org.actor("hq")  # type: ignore[attr-defined]
    with transaction.atomic():
        survey = survey_services.survey_create(
            actor=marketer, title=TITLE, description="耽误您一分钟，帮助我们把服务做得更好。"
        )
        q = survey_services.QuestionInput
        add = survey_services.question_add
        freq = add(
            actor=marketer,
            survey_id=survey.pk,
            data=q(kind="single", text="您多久来一次本店？", choices=["每周", "每月", "很少"]),
        )
        used = add(
            actor=marketer,
            survey_id=survey.pk,
            data=q(
                kind="multiple",
                text="您常用哪些会员服务？",
                choices=["储值", "积分兑换", "次卡", "优惠券"],
            ),
        )
        rating = add(actor=marketer, survey_id=survey.pk, data=q(kind="rating", text="总体满意度"))
        text = add(
            actor=marketer,
            survey_id=survey.pk,
            data=q(kind="text", text="还有什么建议？", required=False),
        )
        survey_services.survey_publish(actor=marketer, survey_id=survey.pk)
        survey_services.survey_distribute(actor=marketer, survey_id=survey.pk, target="everyone")
    notes = ["环境很好", "希望周末多开一个收银台", "", "停车不方便", ""]
    for member in members:
        picked = sorted(rng.sample(range(4), rng.randint(1, 3)))
        survey_services.survey_answer(
            survey_id=survey.pk,
            member_id=member.pk,
            answers=[
                survey_services.AnswerInput(
                    question_id=freq.pk, choices=[rng.choice([0, 0, 1, 2])]
                ),
                survey_services.AnswerInput(question_id=used.pk, choices=picked),
                survey_services.AnswerInput(
                    question_id=rating.pk, rating=rng.choice([3, 4, 4, 5, 5])
                ),
                survey_services.AnswerInput(question_id=text.pk, text=rng.choice(notes)),
            ],
            channel=rng.choice(["portal", "link"]),
        )
    for (category, words), member in zip(FEEDBACK, members[-3:], strict=False):
        survey_services.feedback_file_by_member(member_id=member.pk, category=category, text=words)
    today = local_today()
    tasks = [
        followup_services.followup_create(
            actor=hq,
            data=followup_services.FollowupInput(
                member_id=member.pk,
                due_date=today + dt.timedelta(days=days),
                note="感谢到店，询问体验并介绍储值套餐",
            ),
        )
        for member, days in zip(members[:3], (0, 1, 3), strict=False)
    ]
    # One call already past its date: the daily sweep marks it overdue.
    Followup.objects.filter(pk=tasks[0].pk).update(due_date=today - dt.timedelta(days=2))
    followups_mark_overdue(today=today)
    followups_detect_lapses(today=today)
    return True
