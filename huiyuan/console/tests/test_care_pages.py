"""Console pages of care: who sees them, templates with a preview, a campaign by form,
rules, the delivery log and the development outbox; the public unsubscribe link."""

from __future__ import annotations

import pytest
from django.test import Client

from huiyuan.care import sending
from huiyuan.care.models import Campaign, CareRule, Delivery, MessageTemplate, OptOut
from huiyuan.core import pii
from huiyuan.core.permissions import Role
from huiyuan.segments.services import segment_create

pytestmark = pytest.mark.django_db


def test_pages_show_to_roles_with_care_permissions(client_for):
    marketer, cashier = client_for(Role.MARKETER), client_for(Role.CASHIER)
    for name in ("care/", "care/templates/", "care/campaigns/", "care/rules/", "care/outbox/"):
        assert marketer.get(f"/{name}").status_code == 200, name
        assert cashier.get(f"/{name}").status_code == 403, name
    home = marketer.get("/care/campaigns/").content.decode()
    assert "营销群发" in home and "自动关怀" in home
    assert "营销群发" not in cashier.get("/").content.decode()


def test_template_edit_and_preview_with_a_real_member(client_for, make_member):
    marketer = client_for(Role.MARKETER)
    member = make_member(name="林黛玉")
    page = marketer.get("/care/templates/birthday/sms/")
    assert page.status_code == 200 and "祝您生日快乐" in page.content.decode()
    r = marketer.post(
        "/care/templates/birthday/sms/",
        {
            "name": "生日祝福",
            "kind": "marketing",
            "subject": "",
            "is_active": "on",
            "body": "{name}，生日快乐！{store}为您准备了礼物。",
        },
    )
    assert r.status_code == 302
    assert MessageTemplate.objects.get(code="birthday", channel="sms").body.startswith("{name}")
    r = marketer.post(
        "/care/templates/birthday/sms/",
        {"name": "x", "kind": "marketing", "body": "{nmae}"},
    )
    assert "未知变量" in r.content.decode() or "Unknown variables" in r.content.decode()
    preview = marketer.post(
        "/care/preview/",
        {
            "member": member.code,
            "code": "birthday",
            "channel": "sms",
            "body": "{name}，生日快乐！{store}为您准备了礼物。",
        },
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "林黛玉，生日快乐！旗舰店为您准备了礼物。 回TD退订" in preview
    mobile = pii.decrypt(member.mobile_enc)
    by_mobile = marketer.post(
        "/care/preview/", {"member": mobile, "code": "birthday", "channel": "sms"}
    ).content.decode()
    assert "林黛玉" in by_mobile
    missing = marketer.post("/care/preview/", {"member": "13000000000"}).content.decode()
    assert "没有找到" in missing or "No member found" in missing


def test_campaign_by_form_with_progress_and_report(
    client_for, make_member, owner, stores, settings
):
    settings.HUIYUAN_CARE_QUIET_HOURS = (0, 0)
    marketer = client_for(Role.MARKETER)
    people = [
        make_member(name=n, mobile=m) for n, m in (("甲", "13700000001"), ("乙", "13700000002"))
    ]
    segment = segment_create(actor=owner, name="旗舰店", definition={"stores": [stores[0].pk]})
    r = marketer.post(
        "/care/campaigns/",
        {
            "name": "周末特惠",
            "template_code": "promotion",
            "channel": "sms",
            "segment": str(segment.pk),
            "coupon_template": "",
        },
    )
    assert r.status_code == 302, r.content.decode()
    campaign = Campaign.objects.get()
    page = marketer.get(f"/care/campaigns/{campaign.pk}/").content.decode()
    assert "发送给 2 位会员" in page or "Send to 2 members" in page
    r = marketer.post(f"/care/campaigns/{campaign.pk}/start/")
    assert r.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE
    partial = marketer.get(f"/care/campaigns/{campaign.pk}/", HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert 'data-testid="campaign-report"' in body and "<html" not in body
    assert "hx-trigger" not in body  # done: no more polling
    log = marketer.get("/care/").content.decode()
    assert "137****0001" in log and "137****0002" in log
    outbox = marketer.get("/care/outbox/").content.decode()
    assert "甲您好" in outbox and people[1].name in outbox


def test_rule_saved_by_form(client_for):
    marketer = client_for(Role.MARKETER)
    r = marketer.post(
        "/care/rules/",
        {
            "kind": "birthday",
            "birthday-template_code": "birthday",
            "birthday-channel": "sms",
            "birthday-days_ahead": "3",
            "birthday-coupon_template": "",
            "birthday-is_active": "on",
        },
    )
    assert r.status_code == 302
    rule = CareRule.objects.get(kind="birthday")
    assert (rule.days_ahead, rule.is_active, rule.channel) == (3, True, "sms")
    r = marketer.post(
        "/care/rules/",
        {
            "kind": "anniversary",
            "anniversary-template_code": "anniversary",
            "anniversary-channel": "sms",
            "anniversary-days_ahead": "99",
        },
    )
    assert r.status_code == 200
    assert not CareRule.objects.filter(kind="anniversary").exists()


def test_unsubscribe_link_and_sms_reply_are_honoured_at_once(make_member, settings):
    settings.HUIYUAN_CARE_QUIET_HOURS = (0, 0)
    member = make_member(mobile="13700000009")
    d = sending.delivery_queue(
        template="promotion",
        channel="sms",
        to="13700000009",
        member_id=member.pk,
        context={"name": "x"},
        enqueue=False,
    )
    link = d.body.rsplit(" ", 1)[1]
    assert link.startswith("/care/u/")
    anon = Client()
    page = anon.get(link)
    assert page.status_code == 200 and "退订成功" in page.content.decode()
    assert OptOut.objects.filter(member=member, source="link").exists()
    assert sending.delivery_send(d.pk) == "opted_out"
    assert anon.get("/care/u/forged-token/").status_code == 404

    other = make_member(mobile="13700000010")
    assert (
        anon.post("/care/sms/inbound/x/", {"mobile": "13700000010", "text": "TD"}).status_code
        == 404
    )
    settings.HUIYUAN_CARE_INBOUND_SECRET = "s3cret"
    r = anon.post(
        "/care/sms/inbound/s3cret/",
        data=[{"mobile": "13700000010", "text": " td "}, {"mobile": "13700000009", "text": "好的"}],
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["opted_out"] == 1
    assert OptOut.objects.filter(member=other, source="sms").exists()
    assert Delivery.objects.filter(member=other).count() == 0


def test_special_dates_chosen_by_form(client_for):
    from huiyuan.care.models import CareDate

    marketer, cashier = client_for(Role.MARKETER), client_for(Role.CASHIER)
    assert cashier.get("/care/dates/").status_code == 403
    page = marketer.get("/care/dates/").content.decode()
    assert "节日与特殊日期" in page and "尚未设置特殊日期" in page
    form = {
        "name": "中秋节",
        "calendar": "lunar",
        "month": "8",
        "day": "15",
        "template_code": "holiday",
        "channel": "sms",
        "days_ahead": "1",
        "coupon_template": "",
        "is_active": "on",
    }
    assert marketer.post("/care/dates/", form).status_code == 302
    row = CareDate.objects.get()
    assert (row.calendar, row.month, row.day, row.days_ahead) == ("lunar", 8, 15, 1)
    assert "农历八月十五" in marketer.get("/care/dates/").content.decode()
    # A date that does not exist: a Chinese error, nothing saved.
    r = marketer.post(
        "/care/dates/", {**form, "name": "坏日子", "calendar": "solar", "month": "2", "day": "30"}
    )
    assert r.status_code == 200
    assert "该日期不存在。" in r.content.decode()
    assert CareDate.objects.count() == 1
    # Editing keeps one row.
    r = marketer.post("/care/dates/", {**form, "edit": str(row.pk), "days_ahead": "3"})
    assert r.status_code == 302
    row.refresh_from_db()
    assert row.days_ahead == 3 and CareDate.objects.count() == 1
    assert cashier.post("/care/dates/", form).status_code == 403
    assert CareDate.objects.count() == 1
