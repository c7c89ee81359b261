"""Console: 促销 — publish a weekday promotion through the form, see it in the list, the
counter's quote on a Wednesday morning applies it, end it; new versions; the holiday
calendar; permissions; a refusal changes nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.checkout.models import Holiday, Promotion
from huiyuan.checkout.tests.conftest import shop  # noqa: F401 - fixture
from huiyuan.console.promotions.forms import parse_date_ranges, permille_to_zhe, zhe_to_permille
from huiyuan.core.permissions import Role

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# 07:30 on Wednesday 1 May 2030 in Shanghai is 23:30 UTC on Tuesday 30 April.
WEDNESDAY_0730 = dt.datetime(2030, 4, 30, 23, 30, tzinfo=UTC)
QUOTE = "/counter/basket/quote/"


def idem(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def no_inline_script(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\sstyle=", html), "style attribute"


def at(monkeypatch, moment: dt.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


def fuel_form(key: str, **extra) -> dict:
    return {
        "idempotency_key": key,
        "code": "fuel92-wed",
        "name": "92# 周三每升减0.30",
        "kind": "amount_off_per_unit",
        "value": "0.30",
        "products": "FUEL-92",
        "weekdays": ["3"],
        "priority": "100",
        "stacking": "best_of",
        **extra,
    }


def petrol_quote(client, shop) -> str:  # noqa: F811
    return client.post(
        QUOTE,
        {
            "line_product": [shop.petrol.pk],
            "line_name": ["92#汽油"],
            "line_qty": [""],
            "line_amount": ["200"],
        },
    ).content.decode()


def test_a_wednesday_promotion_from_the_form_to_the_counter_and_ended(
    client_for,
    shop,  # noqa: F811
    monkeypatch,
):
    at(monkeypatch, WEDNESDAY_0730)
    hq, cashier = client_for(Role.OWNER), client_for(Role.CASHIER)
    page = hq.get("/promotions/new/").content.decode()
    no_inline_script(page)
    assert "周三" in page and 'name="weekdays"' in page
    done = hq.post("/promotions/new/", fuel_form(idem(page)))
    promotion = Promotion.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/promotions/{promotion.pk}/"
    assert (promotion.kind, promotion.value, promotion.weekdays) == ("amount_off_per_unit", 30, [3])
    assert promotion.product_ids == [shop.petrol.pk]
    assert promotion.effective_from == WEDNESDAY_0730 and promotion.effective_to is None
    # A double submit with the same form publishes once.
    hq.post("/promotions/new/", fuel_form(idem(page)))
    assert Promotion.objects.count() == 1

    listed = hq.get("/promotions/").content.decode()
    no_inline_script(listed)
    assert "92# 周三每升减0.30" in listed and "每单位减 ¥0.30" in listed and "执行中" in listed

    # At the counter, 07:30 on Wednesday: ¥200 of 92# at ¥7.89 = 25.348 L, ¥0.30 off each.
    quote = petrol_quote(cashier, shop)
    assert 'data-testid="quote-discount">-¥7.61' in quote
    assert 'data-testid="quote-payable">¥192.39' in quote
    assert "92# 周三每升减0.30" in quote

    detail = hq.get(f"/promotions/{promotion.pk}/").content.decode()
    assert 'data-testid="promotion-end"' in detail and "v1" in detail
    ended = hq.post(f"/promotions/{promotion.pk}/end/")
    assert ended.status_code == 302
    promotion.refresh_from_db()
    assert promotion.effective_to == WEDNESDAY_0730
    assert 'data-testid="quote-payable">¥200.00' in petrol_quote(cashier, shop)
    assert 'data-testid="promotion-row"' not in hq.get("/promotions/").content.decode()
    ended_list = hq.get("/promotions/?state=ended").content.decode()
    assert ended_list.count('data-testid="promotion-row"') == 1 and "已结束" in ended_list


def test_on_thursday_the_wednesday_promotion_does_not_apply(client_for, shop, monkeypatch):  # noqa: F811
    at(monkeypatch, WEDNESDAY_0730)
    hq = client_for(Role.OWNER)
    hq.post("/promotions/new/", fuel_form("k-1"))
    at(monkeypatch, WEDNESDAY_0730 + dt.timedelta(days=1))
    quote = petrol_quote(client_for(Role.CASHIER), shop)
    assert 'data-testid="quote-payable">¥200.00' in quote


def test_a_new_version_ends_the_first_at_its_start(client_for, shop, monkeypatch):  # noqa: F811
    at(monkeypatch, WEDNESDAY_0730)
    hq = client_for(Role.OWNER)
    hq.post("/promotions/new/", fuel_form("k-1"))
    first = Promotion.objects.get()
    page = hq.get(f"/promotions/{first.pk}/version/").content.decode()
    assert 'value="0.30"' in page and "FUEL-92" in page  # the form starts from version 1
    done = hq.post(
        f"/promotions/{first.pk}/version/",
        fuel_form(idem(page), code="ignored", value="0.50", effective_from="2030-05-08T07:30"),
    )
    second = Promotion.objects.get(version=2)
    assert done["Location"] == f"/promotions/{second.pk}/"
    assert (second.code, second.value) == ("fuel92-wed", 50)
    start = dt.datetime(2030, 5, 7, 23, 30, tzinfo=UTC)  # 07:30 local on 8 May
    first.refresh_from_db()
    assert second.effective_from == start and first.effective_to == start
    detail = hq.get(f"/promotions/{second.pk}/").content.decode()
    assert "v2" in detail and "v1" in detail and "待生效" in detail


def test_a_refused_form_shows_the_error_next_to_the_field_and_writes_nothing(
    client_for,
    shop,  # noqa: F811
    monkeypatch,
):
    at(monkeypatch, WEDNESDAY_0730)
    hq = client_for(Role.OWNER)
    audits = AuditEvent.objects.count()
    bad = hq.post(
        "/promotions/new/",
        fuel_form("k-1", kind="percent_off", value="12", products="NOPE-1"),
    ).content.decode()
    assert "NOPE-1" in bad and "is-invalid" in bad
    past = hq.post(
        "/promotions/new/", fuel_form("k-2", effective_from="2030-04-01T07:30")
    ).content.decode()
    assert "促销不能从过去开始" in past or "invalid-feedback" in past
    assert Promotion.objects.count() == 0 and AuditEvent.objects.count() == audits


def test_a_cashier_reads_but_cannot_publish_or_end(client_for, shop, monkeypatch):  # noqa: F811
    at(monkeypatch, WEDNESDAY_0730)
    client_for(Role.OWNER).post("/promotions/new/", fuel_form("k-1"))
    promotion = Promotion.objects.get()
    cashier = client_for(Role.CASHIER)
    assert cashier.get("/promotions/").status_code == 200
    assert 'data-testid="promotion-new"' not in cashier.get("/promotions/").content.decode()
    assert cashier.get("/promotions/new/").status_code == 403
    assert cashier.post(f"/promotions/{promotion.pk}/end/").status_code == 403
    promotion.refresh_from_db()
    assert promotion.effective_to is None


def test_the_holiday_calendar(client_for):
    hq = client_for(Role.OWNER)
    done = hq.post("/promotions/holidays/", {"date": "2030-10-01", "name": "国庆节"})
    assert done.status_code == 302 and done["Location"].endswith("?year=2030")
    page = hq.get("/promotions/holidays/?year=2030").content.decode()
    no_inline_script(page)
    assert "国庆节" in page and "2030-10-01" in page
    assert (
        'data-testid="holiday-row"'
        not in hq.get("/promotions/holidays/?year=2031").content.decode()
    )
    assert (
        client_for(Role.CASHIER)
        .post("/promotions/holidays/", {"date": "2030-10-02", "name": "国庆"})
        .status_code
        == 403
    )
    hq.post("/promotions/holidays/2030-10-01/delete/")
    assert Holiday.objects.count() == 0


@pytest.mark.parametrize(
    ("typed", "permille"), [("9", 900), ("8.5", 850), ("95", 950), ("88折", 880), ("9.75", 975)]
)
def test_zhe_typed_as_people_say_it(typed, permille):
    assert zhe_to_permille(typed) == permille
    assert zhe_to_permille(permille_to_zhe(permille)) == permille


def test_date_ranges_typed_one_per_line():
    assert parse_date_ranges("2030-10-01 ~ 2030-10-07\n2030-12-25") == [
        (dt.date(2030, 10, 1), dt.date(2030, 10, 7)),
        (dt.date(2030, 12, 25), dt.date(2030, 12, 25)),
    ]
