"""Writes of segments: saved segments, RFM cut points, the member profiles and predictions.

``profiles_refresh`` rebuilds every ``MemberProfile`` from completed sales net of returns
(reversed sales and wholly returned ones are no purchase) and imported history, classifies
RFM under the chain's settings, finds each member's usual weekday, hour and category, fits
BG/NBD + Gamma-Gamma (``huiyuan.segments.clv``) and stores P(alive), the purchases expected
in the next 90 days and the 365-day lifetime value. ``cross_sell_refresh`` recounts the
item and category pairs bought together.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.analytics import rollups
from huiyuan.analytics.models import MemberStat
from huiyuan.audit.services import audit_record
from huiyuan.checkout.models import Sale, SaleLine
from huiyuan.core import clock
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.segments import clv
from huiyuan.segments.filters import definition_clean
from huiyuan.segments.models import (
    CrossSellPair,
    HistorySale,
    MemberProfile,
    ModelFit,
    RfmClass,
    RfmSettings,
    Segment,
)
from huiyuan.segments.selectors import rfm_settings_get, segment_get
from huiyuan.stores.models import Store

MIN_FIT_MEMBERS = 20  # fewer members than this: no prediction (the fit means nothing)
CLV_WEEKS = 52
EXPECT_WEEKS = 90 / 7
# A small L2 shrinkage of the parameters (as the lifetimes library advises in practice): a
# chain's data are far from CDNOW's and a or b (or q) can run off to infinity unshrunk.
PENALIZER = 0.001
CROSS_SELL_BASKETS = 200_000  # the most recent baskets counted
CROSS_SELL_KEEP = 200  # pairs kept per level, by lift
CROSS_SELL_MIN_BASKETS = 2

# ---------------------------------------------------------------------------- segments


def _name_clean(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Enter a segment name."), code="segment_name_required", field="name"
        )
    if len(name) > 60:
        raise ValidationFailed(
            _("A segment name has at most 60 characters."),
            code="segment_name_too_long",
            field="name",
        )
    return name


def _segment_store(actor: Actor, store_id: int | None) -> int | None:
    """A store-scoped author's segment keeps one of its stores; chain-wide ones may pick
    any store of the chain."""
    if store_id is not None and not Store.objects.filter(pk=store_id).exists():
        raise NotFound(_("Unknown store."), code="unknown_store", field="store_id")
    if actor.store_ids is None:
        return store_id
    if store_id is None:
        if len(actor.store_ids) != 1:
            raise ValidationFailed(
                _("Choose the store the segment is for."), code="store_required", field="store_id"
            )
        return next(iter(actor.store_ids))
    if store_id not in actor.store_ids:
        raise PermissionDenied(
            _("This store is outside your scope."),
            code="store_forbidden",
            details={"store_id": store_id},
        )
    return store_id


def _snapshot(segment: Segment) -> dict[str, Any]:
    return {
        "name": segment.name,
        "definition": segment.definition,
        "store_id": segment.store_id,
    }


def segment_create(
    *,
    actor: Actor,
    name: str,
    definition: Any,
    description: str = "",
    store_id: int | None = None,
) -> Segment:
    require(actor, Perm.SEGMENT_MANAGE)
    now = timezone.now()
    segment = Segment(
        name=_name_clean(name),
        description=(description or "").strip()[:200],
        definition=definition_clean(definition),
        store_id=_segment_store(actor, store_id),
        created_by=actor.staff,
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            segment.save()
            audit_record(
                actor=actor,
                action="segment.created",
                subject_type="segment",
                subject_id=segment.pk,
                after=_snapshot(segment),
                store_id=segment.store_id,
            )
    except IntegrityError:
        raise Conflict(
            _("A segment with this name exists already."), code="segment_name_taken", field="name"
        ) from None
    return segment


def segment_update(
    *,
    actor: Actor,
    segment_id: int,
    name: str | None = None,
    definition: Any = None,
    description: str | None = None,
) -> Segment:
    require(actor, Perm.SEGMENT_MANAGE)
    segment_get(actor=actor, segment_id=segment_id)  # in scope
    cleaned_name = _name_clean(name) if name is not None else None
    cleaned = definition_clean(definition) if definition is not None else None
    try:
        with transaction.atomic():
            segment = Segment.objects.select_for_update().get(pk=segment_id)
            before = _snapshot(segment)
            if cleaned_name is not None:
                segment.name = cleaned_name
            if cleaned is not None:
                segment.definition = cleaned
            if description is not None:
                segment.description = description.strip()[:200]
            segment.updated_at = timezone.now()
            segment.save()
            audit_record(
                actor=actor,
                action="segment.changed",
                subject_type="segment",
                subject_id=segment.pk,
                before=before,
                after=_snapshot(segment),
                store_id=segment.store_id,
            )
    except IntegrityError:
        raise Conflict(
            _("A segment with this name exists already."), code="segment_name_taken", field="name"
        ) from None
    return segment


def segment_delete(*, actor: Actor, segment_id: int) -> None:
    require(actor, Perm.SEGMENT_MANAGE)
    segment = segment_get(actor=actor, segment_id=segment_id)
    with transaction.atomic():
        before = _snapshot(segment)
        Segment.objects.filter(pk=segment.pk).delete()
        audit_record(
            actor=actor,
            action="segment.deleted",
            subject_type="segment",
            subject_id=segment_id,
            before=before,
            store_id=before["store_id"],
        )


# ---------------------------------------------------------------------------- RFM settings

RFM_FIELDS = (
    "window_days",
    "recent_days",
    "frequent_count",
    "valuable_fen",
    "loyal_count",
    "big_spender_fen",
    "at_risk_days",
    "lost_days",
)
MAX_DAYS = 3650
MAX_FEN = 10**12


def rfm_settings_update(*, actor: Actor, values: dict[str, int]) -> RfmSettings:
    """Change the cut points (owner and head office: they are the chain's)."""
    require(actor, Perm.SEGMENT_MANAGE)
    if actor.store_ids is not None:
        raise PermissionDenied(
            _("Only head office changes the RFM cut points."), code="chain_wide_only"
        )
    for key, value in values.items():
        if key not in RFM_FIELDS:
            raise ValidationFailed(_("Unknown setting: %(key)s.") % {"key": key}, field=key)
        limit = MAX_FEN if key.endswith("_fen") else MAX_DAYS
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
            raise ValidationFailed(
                _("%(key)s must be a whole number from 1 to %(max)s.") % {"key": key, "max": limit},
                code="invalid_rfm_setting",
                field=key,
            )
    merged = {k: values.get(k) for k in RFM_FIELDS}
    with transaction.atomic():
        settings = rfm_settings_get()
        settings = RfmSettings.objects.select_for_update().get(pk=settings.pk)
        window = merged["window_days"] or settings.window_days
        recent = merged["recent_days"] or settings.recent_days
        lost = merged["lost_days"] or settings.lost_days
        if recent > window:
            raise ValidationFailed(
                _("“Recent” cannot be longer than the window."),
                code="invalid_rfm_setting",
                field="recent_days",
            )
        if lost < recent:
            raise ValidationFailed(
                _("“Lost” must be at least as long as “recent”."),
                code="invalid_rfm_setting",
                field="lost_days",
            )
        before = {k: getattr(settings, k) for k in RFM_FIELDS}
        for key, value in values.items():
            setattr(settings, key, value)
        settings.save()
        audit_record(
            actor=actor,
            action="segment.rfm_settings_changed",
            subject_type="rfm_settings",
            subject_id=settings.pk,
            before=before,
            after={k: getattr(settings, k) for k in RFM_FIELDS},
        )
    return settings


# ---------------------------------------------------------------------------- profiles


@dataclass(slots=True)
class Habits:
    """When and what a member buys, counted over the window (profiles only)."""

    weekdays: Counter[int] = field(default_factory=Counter)
    hours: Counter[int] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class Agg:
    """One member's purchases, from sales and imported history together. (Slots, and the
    habits made only when counted: RFM makes one per member, half a million at scale.)"""

    first: dt.date
    last: dt.date
    purchases: int = 0
    spend_fen: int = 0
    window_purchases: int = 0
    window_spend_fen: int = 0
    days: int = 0
    habits: Habits | None = None

    def habit(self) -> Habits:
        if self.habits is None:
            self.habits = Habits()
        return self.habits


def purchases_aggregate(
    *, today: dt.date, window_days: int, with_days: bool = True
) -> dict[int, Agg]:
    """Per member: first and last purchase day, purchases and net spend (all time and in
    the window) and, ``with_days``, the number of distinct purchase days (what prediction
    needs) — read from the per-member roll-up (``huiyuan.analytics`` ``MemberStat``, one
    row per member, kept from the sale events; brought up to date and to this window
    first), and one grouped query on the imported history."""
    window_start = today - dt.timedelta(days=window_days - 1)
    rollups.member_stats_prepare(window_start)
    out: dict[int, Agg] = {}
    stale: list[int] = []
    stats = MemberStat.objects.filter(purchases__gt=0).values_list(
        "member_id",
        "first_day",
        "last_day",
        "purchases",
        "net_fen",
        "window_from",
        "window_purchases",
        "window_net_fen",
        "days",
    )
    for member_id, first, last, n, net, start, wn, wnet, days in stats:
        if first is None or last is None:  # not with a purchase (the filter says so)
            continue
        out[member_id] = Agg(
            first=first,
            last=last,
            purchases=n,
            spend_fen=net,
            window_purchases=wn,
            window_spend_fen=wnet,
            days=days if with_days else 0,
        )
        if start != window_start:  # refreshed while the window moved: count again
            stale.append(member_id)
    for i in range(0, len(stale), rollups.STAT_CHUNK):
        chunk = stale[i : i + rollups.STAT_CHUNK]
        for member_id in chunk:
            out.pop(member_id)
        for member_id, v in rollups.member_figures(chunk, window_start):
            if v["purchases"]:
                out[member_id] = Agg(
                    first=v["first_day"],
                    last=v["last_day"],
                    purchases=v["purchases"],
                    spend_fen=v["net_fen"],
                    window_purchases=v["window_purchases"],
                    window_spend_fen=v["window_net_fen"],
                    days=v["days"] if with_days else 0,
                )
    history = (
        HistorySale.objects.values("member_id")
        .annotate(
            first=Min("occurred_on"),
            last=Max("occurred_on"),
            n=Count("pk"),
            spend=Sum("amount_fen"),
            wn=Count("pk", filter=Q(occurred_on__gte=window_start)),
            wspend=Sum("amount_fen", filter=Q(occurred_on__gte=window_start)),
            days=Count("occurred_on", distinct=True),
        )
        .order_by()
    )
    for row in history:
        agg = out.get(row["member_id"])
        if agg is None:
            agg = out[row["member_id"]] = Agg(first=row["first"], last=row["last"])
        else:
            agg.first, agg.last = min(agg.first, row["first"]), max(agg.last, row["last"])
        agg.purchases += row["n"]
        agg.spend_fen += int(row["spend"] or 0)
        agg.window_purchases += row["wn"]
        agg.window_spend_fen += int(row["wspend"] or 0)
        agg.days += row["days"]
    return out


@dataclass(frozen=True, slots=True)
class Classified:
    recency_days: int
    r_high: bool
    f_high: bool
    m_high: bool
    rfm_class: str
    loyal: bool
    big_spender: bool
    at_risk: bool
    lost: bool


CLASS_OF = {
    (True, True, True): RfmClass.IMPORTANT_VALUE,
    (True, False, True): RfmClass.IMPORTANT_DEVELOP,
    (False, True, True): RfmClass.IMPORTANT_KEEP,
    (False, False, True): RfmClass.IMPORTANT_WINBACK,
    (True, True, False): RfmClass.GENERAL_VALUE,
    (True, False, False): RfmClass.GENERAL_DEVELOP,
    (False, True, False): RfmClass.GENERAL_KEEP,
    (False, False, False): RfmClass.GENERAL_WINBACK,
}


def rfm_classify(agg: Agg, settings: RfmSettings, today: dt.date) -> Classified:
    """R high: bought within ``recent_days`` (today counts as day 0); F high: at least
    ``frequent_count`` purchases in the window; M high: at least ``valuable_fen`` net spend
    in the window. Each bound is inclusive."""
    recency = max((today - agg.last).days, 0)
    r_high = recency < settings.recent_days
    f_high = agg.window_purchases >= settings.frequent_count
    m_high = agg.window_spend_fen >= settings.valuable_fen
    return Classified(
        recency_days=recency,
        r_high=r_high,
        f_high=f_high,
        m_high=m_high,
        rfm_class=CLASS_OF[(r_high, f_high, m_high)].value,
        loyal=r_high and agg.window_purchases >= settings.loyal_count,
        big_spender=agg.window_spend_fen >= settings.big_spender_fen,
        at_risk=f_high and settings.at_risk_days <= recency < settings.lost_days,
        lost=recency >= settings.lost_days,
    )


def _habits(out: dict[int, Agg], *, since: dt.datetime, window_start: dt.date) -> None:
    """Usual weekday and hour (local) and preferred category, counted over the window."""
    zone = clock.business_zone()
    done = Sale.objects.filter(
        member__isnull=False, status=Sale.Status.COMPLETED, created_at__gte=since
    )
    for row in (
        done.values("member_id", wd=ExtractIsoWeekDay("created_at", tzinfo=zone))
        .annotate(n=Count("pk"))
        .order_by()
    ):
        if row["member_id"] in out:
            out[row["member_id"]].habit().weekdays[row["wd"]] += row["n"]
    for row in (
        done.values("member_id", h=ExtractHour("created_at", tzinfo=zone))
        .annotate(n=Count("pk"))
        .order_by()
    ):
        if row["member_id"] in out:
            out[row["member_id"]].habit().hours[row["h"]] += row["n"]
    for row in (
        done.exclude(category="").values("member_id", "category").annotate(n=Count("pk")).order_by()
    ):
        if row["member_id"] in out:
            out[row["member_id"]].habit().categories[row["category"]] += row["n"]
    lines = SaleLine.objects.filter(
        sale__member__isnull=False,
        sale__status=Sale.Status.COMPLETED,
        sale__created_at__gte=since,
    ).values_list("sale__member_id", "category_path")
    for member_id, path in lines.iterator(chunk_size=5000):
        if member_id in out and path:
            out[member_id].habit().categories[str(path[0])] += 1
    for member_id, day, items in (
        HistorySale.objects.filter(occurred_on__gte=window_start)
        .values_list("member_id", "occurred_on", "items")
        .iterator(chunk_size=5000)
    ):
        agg = out.get(member_id)
        if agg is None:
            continue
        habits = agg.habit()
        habits.weekdays[day.isoweekday()] += 1
        for item in items or []:
            if item.get("category"):
                habits.categories[str(item["category"])[:40]] += 1


def _top(counter: Counter[Any]) -> Any:
    if not counter:
        return None
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


@dataclass(frozen=True)
class Prediction:
    fit: ModelFit | None
    p_alive: dict[int, float]
    expected_90: dict[int, float]
    clv_fen: dict[int, int]


def predict(out: dict[int, Agg], today: dt.date) -> Prediction:
    """Fit BG/NBD (and Gamma-Gamma on members with repeat purchases) on purchase days in
    weeks; P(alive), purchases expected in 90 days and the 52-week value per member."""
    if len(out) < MIN_FIT_MEMBERS:
        return Prediction(None, {}, {}, {})
    ids = list(out)
    x = np.array([max(out[i].days - 1, 0) for i in ids], dtype=np.float64)
    t_x = np.array([(out[i].last - out[i].first).days / 7 for i in ids], dtype=np.float64)
    T = np.array([((today - out[i].first).days + 1) / 7 for i in ids], dtype=np.float64)
    t_x = np.minimum(t_x, T)
    model = clv.bgnbd_fit(x, t_x, T, penalizer=PENALIZER)
    alive = clv.p_alive(model, x, t_x, T)
    coming = clv.expected_purchases(model, EXPECT_WEEKS, x, t_x, T)
    year = clv.expected_purchases(model, CLV_WEEKS, x, t_x, T)
    spend = np.array([out[i].spend_fen / max(out[i].days, 1) for i in ids], dtype=np.float64)
    repeat = x > 0
    gg: clv.GammaGamma | None = None
    if int(repeat.sum()) >= MIN_FIT_MEMBERS and (spend[repeat] > 0).all():
        gg = clv.gamma_gamma_fit(x[repeat], spend[repeat] / 100, penalizer=PENALIZER)
        value = clv.expected_spend(gg, x, spend / 100) * 100  # fitted in yuan
    else:
        value = spend
    now = timezone.now()
    fit = ModelFit(
        r=model.r,
        alpha=model.alpha,
        a=model.a,
        b=model.b,
        gg_p=gg.p if gg else None,
        gg_q=gg.q if gg else None,
        gg_v=gg.v if gg else None,
        members=len(ids),
        log_likelihood=model.log_likelihood,
        fitted_at=now,
    )
    return Prediction(
        fit=fit,
        p_alive={i: float(p) for i, p in zip(ids, alive, strict=True)},
        expected_90={i: float(e) for i, e in zip(ids, coming, strict=True)},
        clv_fen={
            i: round(float(n) * float(v)) if np.isfinite(n * v) else 0
            for i, n, v in zip(ids, year, value, strict=True)
        },
    )


@dataclass(frozen=True)
class RefreshResult:
    members: int
    fit: ModelFit | None


def profiles_rebuild(*, today: dt.date | None = None) -> RefreshResult:
    """Rebuild every member's profile (no permission check: the worker and the command)."""
    today = today or clock.local_today()
    settings = rfm_settings_get()
    out = purchases_aggregate(today=today, window_days=settings.window_days)
    window_start = today - dt.timedelta(days=settings.window_days - 1)
    _habits(out, since=clock.local_day_start(window_start), window_start=window_start)
    prediction = predict(out, today)
    now = timezone.now()
    rows = []
    for member_id, agg in out.items():
        c = rfm_classify(agg, settings, today)
        habits = agg.habits or Habits()
        rows.append(
            MemberProfile(
                member_id=member_id,
                first_on=agg.first,
                last_on=agg.last,
                purchases=agg.purchases,
                spend_fen=agg.spend_fen,
                window_purchases=agg.window_purchases,
                window_spend_fen=agg.window_spend_fen,
                recency_days=c.recency_days,
                r_high=c.r_high,
                f_high=c.f_high,
                m_high=c.m_high,
                rfm_class=c.rfm_class,
                loyal=c.loyal,
                big_spender=c.big_spender,
                at_risk=c.at_risk,
                lost=c.lost,
                weekday=_top(habits.weekdays),
                hour=_top(habits.hours),
                category=(_top(habits.categories) or "")[:40],
                p_alive=prediction.p_alive.get(member_id),
                expected_purchases_90=prediction.expected_90.get(member_id),
                clv_fen=prediction.clv_fen.get(member_id),
                computed_at=now,
            )
        )
    with transaction.atomic():
        MemberProfile.objects.all().delete()
        MemberProfile.objects.bulk_create(rows, batch_size=2000)
        if prediction.fit is not None:
            prediction.fit.save()
    return RefreshResult(members=len(rows), fit=prediction.fit)


def profiles_refresh(*, actor: Actor, today: dt.date | None = None) -> RefreshResult:
    """Recompute RFM, habits and predictions now (console button, API)."""
    require(actor, Perm.SEGMENT_MANAGE)
    result = profiles_rebuild(today=today)
    cross_sell_rebuild()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="segment.profiles_refreshed",
            subject_type="member_profile",
            subject_id=0,
            after={"members": result.members},
        )
    return result


# ---------------------------------------------------------------------------- cross-sell


def _baskets() -> list[tuple[set[str], set[str]]]:
    """The most recent baskets with at least one line: (items, top categories)."""
    sale_ids = list(
        Sale.objects.filter(status=Sale.Status.COMPLETED)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[:CROSS_SELL_BASKETS]
    )
    baskets: dict[int, tuple[set[str], set[str]]] = {}
    for start in range(0, len(sale_ids), 5000):
        chunk = sale_ids[start : start + 5000]
        for sale_id, name, sku, path in SaleLine.objects.filter(sale_id__in=chunk).values_list(
            "sale_id", "name", "sku", "category_path"
        ):
            items, cats = baskets.setdefault(sale_id, (set(), set()))
            label = (name or sku or "").strip()
            if label:
                items.add(label[:80])
            if path:
                cats.add(str(path[0])[:80])
    result = list(baskets.values())
    for items in HistorySale.objects.exclude(items=[]).values_list("items", flat=True)[
        :CROSS_SELL_BASKETS
    ]:
        names = {str(i.get("name", "")).strip()[:80] for i in items or [] if i.get("name")}
        cats = {str(i.get("category", "")).strip()[:80] for i in items or [] if i.get("category")}
        result.append((names, cats))
    return result


def pairs_count(
    baskets: list[set[str]], *, min_baskets: int = CROSS_SELL_MIN_BASKETS
) -> list[tuple[str, str, int, float, float, float]]:
    """Association rules A → B over ``baskets``: (A, B, both, support, confidence, lift)."""
    n = len(baskets)
    if n == 0:
        return []
    single: Counter[str] = Counter()
    pair: Counter[tuple[str, str]] = Counter()
    for basket in baskets:
        single.update(basket)
        pair.update(itertools.combinations(sorted(basket), 2))
    rules = []
    for (a, b), both in pair.items():
        if both < min_baskets:
            continue
        for x, y in ((a, b), (b, a)):
            confidence = both / single[x]
            lift = confidence / (single[y] / n)
            rules.append((x, y, both, both / n, confidence, lift))
    rules.sort(key=lambda r: (-r[5], -r[3], r[0], r[1]))
    return rules


def cross_sell_rebuild() -> int:
    baskets = _baskets()
    now = timezone.now()
    rows: list[CrossSellPair] = []
    by_level: dict[str, list[set[str]]] = {
        CrossSellPair.Level.ITEM: [items for items, _cats in baskets],
        CrossSellPair.Level.CATEGORY: [cats for _items, cats in baskets],
    }
    for level in (CrossSellPair.Level.ITEM, CrossSellPair.Level.CATEGORY):
        # Support and lift are over every basket, single-item ones too.
        rules = pairs_count(by_level[level])
        for a, b, both, support, confidence, lift in rules[:CROSS_SELL_KEEP]:
            rows.append(
                CrossSellPair(
                    level=level,
                    antecedent=a,
                    consequent=b,
                    baskets=both,
                    support=support,
                    confidence=confidence,
                    lift=lift,
                    computed_at=now,
                )
            )
    with transaction.atomic():
        CrossSellPair.objects.all().delete()
        CrossSellPair.objects.bulk_create(rows)
    return len(rows)
