"""Load the demo chain through the services, so audit events and derived fields are real.

Everything is idempotent by natural key (store code, terminal code, user name, tag name,
custom-field key, member mobile): running the loader again completes what is missing and
changes nothing else. The members are planned from a seeded random source, so the same
seed and count give the same people. Later demo content (cards, balances, sales) adds a
``load_…`` step after ``load_members``.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from huiyuan.analytics.rollups import rollup_rebuild
from huiyuan.core import china, pii
from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Actor, Role
from huiyuan.demo import care_followups, catalog, money, people
from huiyuan.demo.activities import load_activities
from huiyuan.demo.benefits import load_benefits
from huiyuan.demo.care import load_care
from huiyuan.demo.portal import load_portal_documents
from huiyuan.demo.segments import load_segments
from huiyuan.members import services as member_services
from huiyuan.members.models import CustomField, Member, Tag
from huiyuan.members.services import LunarDate, MemberInput
from huiyuan.selfservice.services import member_password_set
from huiyuan.stores import services as store_services
from huiyuan.stores import two_factor
from huiyuan.stores.models import ApiKey, Staff, Store, Terminal

# Public by design: the demo logins are printed. It passes the validators (9 characters,
# not a common password, not all digits).
DEMO_PASSWORD = "demo12345"  # noqa: S105
DEMO_PORTAL_PASSWORD = "Huiyuan-demo-2026"  # noqa: S105 - the sample member on the portal
# The owner and the HQ admin also pass a second factor (the policy is on in the demo as in
# production). Public by design too, and printed: the key to add to an authenticator app
# (Base32, time-based, 6 digits) and backup codes, which work once each and are put back
# by every run of `huiyuan demo` (so `make run` restores them).
DEMO_TOTP_SECRET = "HUIYUANDEMOHUIYUANDEMOHUIYUANDEM"  # noqa: S105
DEMO_BACKUP_CODES = ("demo1111", "demo2222", "demo3333")
DEMO_SECOND_FACTOR_USERS = ("owner", "hq")
DEFAULT_MEMBERS = 2000
DEFAULT_SEED = 8848
HISTORY_DAYS = 548  # about 18 months of joining dates
BATCH_SIZE = 250


# ------------------------------------------------------------------------ organisation


@dataclass(frozen=True)
class StoreSpec:
    code: str
    name: str
    address: str
    phone: str
    opened_days_ago: int  # members join a store only after it opened
    weight: float  # its share of new members once open


@dataclass(frozen=True)
class StaffSpec:
    username: str
    display_name: str
    role: Role
    store_codes: tuple[str, ...] = ()
    mobile: str = ""


STORES = (
    StoreSpec(
        "HZ01", "旗舰店", "浙江省杭州市上城区延安路258号湖滨银泰A区1楼", "0571-87061234", 900, 5
    ),
    StoreSpec(
        "HZ02", "东城店", "浙江省杭州市拱墅区东新路888号东城广场2楼", "0571-85192345", 400, 3.5
    ),
    StoreSpec(
        "HZ03", "西湖店", "浙江省杭州市西湖区文三路478号华星时代广场1楼", "0571-88213456", 240, 3
    ),
)

STAFF = (
    StaffSpec("owner", "陈建国", Role.OWNER, (), "13905710001"),
    StaffSpec("hq", "林晓燕", Role.HQ_ADMIN, (), "13905710002"),
    StaffSpec("manager1", "王志强", Role.STORE_MANAGER, ("HZ01",), "13905710011"),
    StaffSpec("manager2", "刘芳", Role.STORE_MANAGER, ("HZ02",), "13905710012"),
    StaffSpec("manager3", "赵磊", Role.STORE_MANAGER, ("HZ03",), "13905710013"),
    StaffSpec("cashier1a", "张静", Role.CASHIER, ("HZ01",), "13905710021"),
    StaffSpec("cashier1b", "李娜", Role.CASHIER, ("HZ01",), "13905710022"),
    StaffSpec("cashier2a", "杨洋", Role.CASHIER, ("HZ02",), "13905710023"),
    StaffSpec("cashier2b", "黄丽", Role.CASHIER, ("HZ02",), "13905710024"),
    StaffSpec("cashier3a", "周婷", Role.CASHIER, ("HZ03",), "13905710025"),
    StaffSpec("cashier3b", "吴昊", Role.CASHIER, ("HZ03",), "13905710026"),
    StaffSpec("agent", "孙丽", Role.CALL_CENTER, (), "13905710031"),
    StaffSpec("marketing", "郑敏", Role.MARKETER, (), "13905710041"),
)

TAGS = (
    ("VIP", "red"),
    ("高消费", "orange"),
    ("老客", "blue"),
    ("新客", "green"),
    ("学生", "cyan"),
    ("宝妈", "pink"),
    ("白领", "indigo"),
    ("团购", "yellow"),
)

SKIN_TYPES = ["干性", "油性", "混合性", "中性", "敏感性"]
FUELS = ["92#汽油", "95#汽油", "0#柴油"]
CUSTOM_FIELDS: tuple[dict[str, Any], ...] = (
    {"key": "plate_no", "label": "车牌号", "kind": CustomField.Kind.TEXT},
    {"key": "skin_type", "label": "肤质", "kind": CustomField.Kind.CHOICE, "choices": SKIN_TYPES},
    {"key": "fuel_grade", "label": "常用油品", "kind": CustomField.Kind.CHOICE, "choices": FUELS},
    {"key": "anniversary", "label": "结婚纪念日", "kind": CustomField.Kind.DATE},
    {"key": "wechat_opt_in", "label": "接受微信推送", "kind": CustomField.Kind.BOOL},
)

OCCUPATIONS = (
    "教师", "工程师", "医生", "护士", "程序员", "设计师", "销售", "会计", "公务员",
    "自由职业", "个体经营", "学生", "律师", "银行职员", "厨师", "司机", "退休",
)  # fmt: skip
PREFERENCES = (
    "喜欢咖啡，常买拿铁", "偏好无糖饮品", "周末带孩子来", "对坚果过敏", "喜欢新品试吃",
    "只在会员日消费", "偏爱国货品牌", "需要发票", "电话回访请在晚上七点后",
)  # fmt: skip
EMAIL_DOMAINS = ("qq.com", "qq.com", "163.com", "126.com", "139.com", "outlook.com")


@dataclass
class Org:
    stores: dict[str, Store] = field(default_factory=dict)  # by store code
    terminals: dict[str, Terminal] = field(default_factory=dict)  # by store code
    staff: dict[str, Staff] = field(default_factory=dict)  # by user name
    _actors: dict[str, Actor] = field(default_factory=dict)

    def actor(self, username: str) -> Actor:
        if username not in self._actors:
            self._actors[username] = self.staff[username].as_actor()
        return self._actors[username]


def system_actor() -> Actor:
    """The installer: creates the chain's stores and its first owner."""
    return Actor(role=Role.OWNER)


def load_org() -> Org:
    """Stores, one terminal per store, and staff in every role."""
    org = Org()
    system = system_actor()
    for spec in STORES:
        store = Store.objects.filter(code=spec.code).first()
        if store is None:
            store = store_services.store_create(
                actor=system, code=spec.code, name=spec.name, address=spec.address, phone=spec.phone
            )
        org.stores[spec.code] = store
    for person in STAFF:
        staff = Staff.objects.filter(username=person.username).first()
        if staff is None:
            creator = system if person.role == Role.OWNER else org.actor("owner")
            staff = store_services.staff_create(
                actor=creator,
                username=person.username,
                display_name=person.display_name,
                role=person.role,
                password=DEMO_PASSWORD,
                store_ids=[org.stores[c].pk for c in person.store_codes],
                mobile=person.mobile,
            )
        org.staff[person.username] = staff
    for number, spec in enumerate(STORES, start=1):
        code = f"{spec.code}-POS01"
        terminal = Terminal.objects.filter(code=code).first()
        if terminal is None:
            terminal = store_services.terminal_create(
                actor=org.actor("hq"),
                store_id=org.stores[spec.code].pk,
                code=code,
                name=f"{spec.name} {number}号收银台",
            )
        org.terminals[spec.code] = terminal
    return org


def load_second_factor(org: Org) -> None:
    """The printed authenticator key and backup codes for the owner and the HQ admin."""
    key = base64.b32decode(DEMO_TOTP_SECRET).hex()
    for username in DEMO_SECOND_FACTOR_USERS:
        two_factor.second_factor_provision(
            staff=org.staff[username], key=key, backup_codes=DEMO_BACKUP_CODES
        )


def load_api_key(org: Org) -> str | None:
    """A cashier key for the flagship's terminal; the key is returned only when created."""
    terminal = org.terminals[STORES[0].code]
    if ApiKey.objects.filter(terminal=terminal).exists():
        return None
    _, key = store_services.api_key_create(
        actor=org.actor("manager1"), terminal_id=terminal.pk, name="演示收银机", role=Role.CASHIER
    )
    return key


def load_member_settings(org: Org) -> None:
    """The merchant's tags and custom archive fields."""
    actor = org.actor("hq")
    existing_tags = set(Tag.objects.values_list("name", flat=True))
    for name, color in TAGS:
        if name not in existing_tags:
            member_services.tag_create(actor=actor, name=name, color=color)
    existing_fields = set(CustomField.objects.values_list("key", flat=True))
    for spec in CUSTOM_FIELDS:
        if spec["key"] not in existing_fields:
            member_services.custom_field_create(actor=actor, **spec)


# ----------------------------------------------------------------------------- members


@dataclass
class MemberPlan:
    """One demo member as planned; ``referrer`` is the index of an earlier plan."""

    data: MemberInput
    channel: str
    store_code: str
    registrar: str  # a staff user name, or "" for a self sign-up
    joined_at: dt.datetime
    last_activity_at: dt.datetime
    referrer: int | None = None
    state: str = ""  # "", "frozen" or "cancelled": applied once, right after creation


def _day_weight(day: dt.date, fraction: float) -> float:
    """Growth over the period, busier weekends, and the shopping festivals."""
    weight = 1 + 3 * fraction**1.5
    if day.weekday() >= 5:
        weight *= 1.5
    if day.month == 11 and 9 <= day.day <= 12:  # 双十一
        weight *= 3
    if day.month == 6 and 16 <= day.day <= 18:  # 618
        weight *= 2
    if day.month == 3 and day.day == 8:  # 妇女节
        weight *= 2
    return weight


def _join_time(rng: random.Random, day: dt.date, now: dt.datetime) -> dt.datetime:
    """A moment in opening hours (09:00–21:30) of ``day``, never after ``now``."""
    seconds = rng.randrange(9 * 3600, 21 * 3600 + 1800)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    moment = start + dt.timedelta(seconds=seconds)
    if moment > now:
        elapsed = max(1.0, (now - start).total_seconds())
        moment = now - dt.timedelta(seconds=rng.uniform(0, min(elapsed, 3600)))
    return moment


def _birthday(rng: random.Random, today: dt.date) -> tuple[dt.date, LunarDate | None]:
    """A solar birthday, or (one in four) a lunar one with its solar date."""
    born = people.pick_birth_date(rng, today)
    if rng.random() >= 0.23:
        return born, None
    year, month, day, _leap = china.solar_to_lunar(born)
    lunar = LunarDate(year, month, min(day, 29))  # day 29 exists in every lunar month
    return china.lunar_to_solar(lunar.year, lunar.month, lunar.day), lunar


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def plan_members(
    count: int, *, seed: int = DEFAULT_SEED, now: dt.datetime | None = None
) -> list[MemberPlan]:
    """``count`` members, in joining order, drawn from ``seed`` (no database access)."""
    rng = random.Random(seed)
    now = now or timezone.now()
    today = timezone.localdate(now)
    first_day = today - dt.timedelta(days=HISTORY_DAYS)
    days = [first_day + dt.timedelta(days=d) for d in range(HISTORY_DAYS + 1)]
    cumulative = list(
        itertools.accumulate(_day_weight(day, d / HISTORY_DAYS) for d, day in enumerate(days))
    )
    opened = {s.code: today - dt.timedelta(days=s.opened_days_ago) for s in STORES}

    # When and where each member joins. One in ten came in the import from the old
    # system on the first day; the others joined over the period, more and more of them.
    slots: list[tuple[dt.datetime, str, str]] = []  # (joined at, channel, store code)
    import_start = timezone.make_aware(dt.datetime.combine(first_day, dt.time(14)))
    for _ in range(count):
        roll = rng.random()
        if roll < 0.10:
            moment = import_start + dt.timedelta(seconds=len(slots))
            slots.append((moment, Member.Channel.IMPORT, STORES[0].code))
            continue
        day = rng.choices(days, cum_weights=cumulative)[0]
        open_stores = [s for s in STORES if opened[s.code] <= day]
        store = rng.choices(open_stores, weights=[s.weight for s in open_stores])[0]
        channel: str = (
            Member.Channel.STORE
            if roll < 0.72
            else Member.Channel.SELF
            if roll < 0.90
            else Member.Channel.CALL_CENTER
        )
        slots.append((_join_time(rng, day, now), channel, store.code))
    slots.sort(key=lambda s: s[0])

    cashiers = {
        s.code: [x.username for x in STAFF if x.role == Role.CASHIER and s.code in x.store_codes]
        for s in STORES
    }
    managers = {
        s.code: [
            x.username for x in STAFF if x.role == Role.STORE_MANAGER and s.code in x.store_codes
        ]
        for s in STORES
    }
    mobiles = people.MobileSource(rng)
    ambassadors: list[int] = []
    plans: list[MemberPlan] = []
    for index, (joined_at, channel, store_code) in enumerate(slots):
        gender = people.pick_gender(rng)
        name = people.pick_name(rng, gender)
        data = MemberInput(name=name, mobile=mobiles.next(), gender=gender)
        born: dt.date | None = None
        if rng.random() < 0.88:
            born, lunar = _birthday(rng, today)
            if lunar is None:
                data.birthday = born
            else:
                data.lunar_birthday = lunar
        region, area_code = people.pick_region(rng)
        if rng.random() < 0.8:
            data.region = region
            if rng.random() < 0.4:
                data.address = people.pick_address(rng, region)
        if born is not None and rng.random() < 0.3:
            data.id_number = people.id_number(rng, area_code, born, gender)
        age = _age(born, today) if born else None
        if age is not None and age < 23 and rng.random() < 0.7:
            data.occupation = "学生"
        elif rng.random() < 0.5:
            data.occupation = rng.choice(OCCUPATIONS[:-1] if (age or 40) < 55 else OCCUPATIONS)
        if rng.random() < 0.2:
            handle = china.pinyin_full(name)
            data.email = f"{handle}{rng.randrange(1, 999)}@{rng.choice(EMAIL_DOMAINS)}"
        if rng.random() < 0.1:
            data.preferences = rng.choice(PREFERENCES)
        data.custom_fields = _custom_values(rng, gender, today)
        data.tags = _tags(rng, gender, age, joined_at, now, data.occupation)

        registrar = ""
        if channel == Member.Channel.STORE:
            pool = managers if rng.random() < 0.15 else cashiers
            registrar = rng.choice(pool[store_code])
        elif channel == Member.Channel.CALL_CENTER:
            registrar = "agent"
        elif channel == Member.Channel.IMPORT:
            registrar = "hq"

        referrer = None
        if index > 20 and channel != Member.Channel.IMPORT and rng.random() < 0.08:
            if ambassadors and rng.random() < 0.5:
                referrer = rng.choice(ambassadors)
            else:
                referrer = rng.randrange(index)
        if len(ambassadors) < 12 and rng.random() < 0.02:
            ambassadors.append(index)

        state = ""
        roll = rng.random()
        if roll < 0.004:
            state = "frozen"
        elif roll < 0.012:
            state = "cancelled"
        plans.append(
            MemberPlan(
                data=data,
                channel=channel,
                store_code=store_code,
                registrar=registrar,
                joined_at=joined_at,
                last_activity_at=_last_activity(rng, joined_at, now),
                referrer=referrer,
                state=state,
            )
        )
    return plans


def _custom_values(rng: random.Random, gender: str, today: dt.date) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if rng.random() < 0.22:
        values["plate_no"] = people.plate_number(rng)
    if rng.random() < (0.45 if gender == "F" else 0.1):
        values["skin_type"] = rng.choice(SKIN_TYPES)
    if "plate_no" in values and rng.random() < 0.8:
        values["fuel_grade"] = rng.choice(FUELS[:2] * 4 + FUELS[2:])
    if rng.random() < 0.08:
        values["anniversary"] = (today - dt.timedelta(days=rng.randrange(365, 9000))).isoformat()
    if rng.random() < 0.6:
        values["wechat_opt_in"] = rng.random() < 0.8
    return values


def _tags(
    rng: random.Random,
    gender: str,
    age: int | None,
    joined_at: dt.datetime,
    now: dt.datetime,
    occupation: str,
) -> list[str]:
    tags: list[str] = []
    tenure = (now - joined_at).days
    vip = rng.random() < 0.06
    if vip:
        tags.append("VIP")
    if rng.random() < (0.7 if vip else 0.06):
        tags.append("高消费")
    if tenure > 365 and rng.random() < 0.6:
        tags.append("老客")
    if tenure <= 30:
        tags.append("新客")
    if occupation == "学生":
        tags.append("学生")
    if gender == "F" and age is not None and 26 <= age <= 40 and rng.random() < 0.2:
        tags.append("宝妈")
    if age is not None and 23 <= age <= 45 and occupation != "学生" and rng.random() < 0.25:
        tags.append("白领")
    if rng.random() < 0.03:
        tags.append("团购")
    return tags


def _last_activity(rng: random.Random, joined_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """Most members came back recently; some went quiet; some never returned."""
    roll = rng.random()
    span = (now - joined_at).total_seconds()
    if roll < 0.15 or span < 3600:
        return joined_at
    if roll < 0.30 and span > 200 * 86400:  # dormant: nothing for six months or more
        quiet_from = now - dt.timedelta(days=180)
        return joined_at + (quiet_from - joined_at) * rng.random()
    recent = max(joined_at, now - dt.timedelta(days=60))
    return recent + (now - recent) * rng.random()


def _registrar_actor(org: Org, plan: MemberPlan) -> Actor:
    if plan.registrar:
        return org.actor(plan.registrar)
    store_id = org.stores[plan.store_code].pk
    # A self sign-up through the member portal: no staff member, scoped to the store.
    return Actor(role=Role.CASHIER, store_ids=frozenset({store_id}), store_id=store_id)


def load_members(org: Org, plans: list[MemberPlan]) -> int:
    """Register the planned members who do not exist yet; returns how many were created."""
    hashes = [pii.keyed_hash(p.data.mobile) for p in plans]
    existing = dict(
        Member.objects.filter(mobile_hash__in=hashes).values_list("mobile_hash", "code")
    )
    codes: dict[int, str] = {i: existing[h] for i, h in enumerate(hashes) if h in existing}
    todo = [i for i in range(len(plans)) if i not in codes]
    owner = org.actor("owner")
    for batch in _batches(todo, BATCH_SIZE):
        with transaction.atomic():
            for i in batch:
                plan = plans[i]
                if plan.referrer is not None:
                    plan.data.referrer_code = codes.get(plan.referrer, "")
                member = member_services.member_register(
                    actor=_registrar_actor(org, plan),
                    data=plan.data,
                    channel=plan.channel,
                    store_id=org.stores[plan.store_code].pk,
                )
                codes[i] = member.code
                # Demo history: move the joining date into the past (the services stamp
                # "now"), then apply the member's planned state through the services.
                Member.objects.filter(pk=member.pk).update(
                    joined_at=plan.joined_at,
                    consent_at=plan.joined_at,
                    last_activity_at=plan.last_activity_at,
                )
                if plan.state == "frozen":
                    member_services.member_freeze(
                        actor=owner,
                        member_id=member.pk,
                        earning=True,
                        spending=True,
                        reason="会员卡挂失，待本人到店核实",
                    )
                elif plan.state == "cancelled":
                    member_services.member_cancel(
                        actor=owner, member_id=member.pk, reason="会员本人申请注销"
                    )
    return len(todo)


def _batches(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ------------------------------------------------------------------------------ all


@dataclass
class DemoResult:
    org: Org
    members_planned: int
    members_created: int
    api_key: str | None
    cards_issued: int = 0
    sample: MemberPlan | None = None
    sample_code: str = ""


def load_demo(
    *,
    members: int = DEFAULT_MEMBERS,
    seed: int = DEFAULT_SEED,
    now: dt.datetime | None = None,
    cardholders: int = money.DEFAULT_CARDHOLDERS,
) -> DemoResult:
    """Load (or complete) the demo chain; safe to run any number of times."""
    with transaction.atomic():
        org = load_org()
        load_member_settings(org)
        load_second_factor(org)
        api_key = load_api_key(org)
    plans = plan_members(members, seed=seed, now=now)
    created = load_members(org, plans)
    with transaction.atomic():
        money.load_money_settings(org)
    with transaction.atomic():
        catalog.load_catalog(org)
    cards = money.load_cards_and_sales(org, cardholders=min(cardholders, len(plans)))
    care_followups.load_followups_and_surveys(org)
    load_portal_documents()
    load_segments(org)
    load_activities(org)
    load_care(org)
    load_benefits(org)
    # The analytics roll-ups of the demo's history (its events would bring today's only).
    today = local_today()
    rollup_rebuild(today - dt.timedelta(days=730), today)
    result = DemoResult(
        org=org,
        members_planned=len(plans),
        members_created=created,
        api_key=api_key,
        cards_issued=cards,
    )
    if plans:
        sample = plans[-1]
        member = Member.objects.filter(mobile_hash=pii.keyed_hash(sample.data.mobile)).first()
        if member is not None:
            result.sample, result.sample_code = sample, member.code
            # The sample member signs in to the member portal (/m/) with this password.
            member_password_set(member_id=member.pk, password=DEMO_PORTAL_PASSWORD)
    return result
