"""Segment pages (会员分群): saved segments with live counts, the filter editor, members of a
segment, the RFM overview and cut points, predictions and cross-sell."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.context import request_actor
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.segments.forms import WEEKDAYS, FilterForm, RfmSettingsForm, SegmentForm
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, NotFound, PermissionDenied
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.members.models import Member, Tag
from huiyuan.segments import selectors, services
from huiyuan.segments.models import CrossSellPair, MemberProfile, RfmClass, RfmLabel, Segment
from huiyuan.stores.models import Store
from huiyuan.tiers.models import Tier

PAGE_SIZE = 25

# How each RFM class reads on the overview: the R/F/M arrows and a colour.
CLASS_LOOK = {
    RfmClass.IMPORTANT_VALUE: ("↑", "↑", "↑", "green"),
    RfmClass.IMPORTANT_DEVELOP: ("↑", "↓", "↑", "teal"),
    RfmClass.IMPORTANT_KEEP: ("↓", "↑", "↑", "orange"),
    RfmClass.IMPORTANT_WINBACK: ("↓", "↓", "↑", "red"),
    RfmClass.GENERAL_VALUE: ("↑", "↑", "↓", "lime"),
    RfmClass.GENERAL_DEVELOP: ("↑", "↓", "↓", "azure"),
    RfmClass.GENERAL_KEEP: ("↓", "↑", "↓", "yellow"),
    RfmClass.GENERAL_WINBACK: ("↓", "↓", "↓", "secondary"),
}


def describe(definition: dict[str, Any]) -> list[str]:
    """The definition as short Chinese phrases for chips (``性别：女``)."""
    d = definition
    out: list[str] = []

    def names(model: Any, ids: list[int], attr: str = "name") -> str:
        rows = model.objects.filter(pk__in=ids)
        return "、".join(str(getattr(r, attr)) for r in rows) or "—"

    if d.get("tiers"):
        out.append(_("Tier: %(v)s") % {"v": names(Tier, d["tiers"])})
    if d.get("stores"):
        out.append(_("Joining store: %(v)s") % {"v": names(Store, d["stores"])})
    if d.get("tags"):
        out.append(_("Tags: %(v)s") % {"v": names(Tag, d["tags"])})
    if d.get("genders"):
        labels = dict(Member.Gender.choices)
        out.append(_("Gender: %(v)s") % {"v": "、".join(str(labels[g]) for g in d["genders"])})
    if "age_min" in d or "age_max" in d:
        out.append(_("Age %(a)s–%(b)s") % {"a": d.get("age_min", "0"), "b": d.get("age_max", "∞")})
    if d.get("regions"):
        out.append(_("Region: %(v)s") % {"v": "、".join(d["regions"])})
    if "joined_from" in d or "joined_to" in d:
        out.append(
            _("Joined %(a)s to %(b)s")
            % {"a": d.get("joined_from", "…"), "b": d.get("joined_to", "…")}
        )
    if "last_purchase_after" in d:
        out.append(_("Bought since %(v)s") % {"v": d["last_purchase_after"]})
    if "last_purchase_before" in d:
        out.append(_("No purchase since %(v)s") % {"v": d["last_purchase_before"]})
    if "spend_min_fen" in d:
        out.append(_("Spend ≥ %(v)s") % {"v": fen_to_yuan_str(d["spend_min_fen"])})
    if "purchases_min" in d:
        out.append(_("Purchases ≥ %(v)s") % {"v": d["purchases_min"]})
    if d.get("rfm_classes"):
        labels = dict(RfmClass.choices)
        out.append("RFM：" + "、".join(str(labels[c]) for c in d["rfm_classes"]))
    if d.get("labels"):
        labels = dict(RfmLabel.choices)
        out.append("、".join(str(labels[c]) for c in d["labels"]))
    if d.get("weekdays"):
        days = dict(WEEKDAYS)
        out.append(
            _("Usually on %(v)s") % {"v": "、".join(str(days[str(w)]) for w in d["weekdays"])}
        )
    if "hour_from" in d or "hour_to" in d:
        out.append(
            _("Usually %(a)s:00–%(b)s:59") % {"a": d.get("hour_from", 0), "b": d.get("hour_to", 23)}
        )
    if d.get("categories"):
        out.append(_("Prefers %(v)s") % {"v": "、".join(d["categories"])})
    if "churn_risk_min" in d:
        out.append(_("Churn risk ≥ %(v)s%%") % {"v": d["churn_risk_min"]})
    if "clv_min_fen" in d:
        out.append(_("Predicted value ≥ %(v)s") % {"v": fen_to_yuan_str(d["clv_min_fen"])})
    return out or [_("All active members")]


def _segment(actor: Actor, segment_id: int) -> Segment:
    try:
        return selectors.segment_get(actor=actor, segment_id=segment_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


SEGMENT_COLUMNS: tuple[Column[Segment], ...] = (
    Column(gettext_lazy("Segment"), lambda s: s.name, width=18),
    Column(gettext_lazy("Description"), lambda s: s.description, width=24),
    Column(gettext_lazy("Filter"), lambda s: "；".join(str(c) for c in s.chips), width=40),  # type: ignore[attr-defined]
    Column(
        gettext_lazy("Scope"),
        lambda s: s.store.name if s.store else str(gettext_lazy("Whole chain")),
        width=12,
    ),
    Column(gettext_lazy("Members now"), lambda s: s.members, "number", 10),  # type: ignore[attr-defined]
    Column(gettext_lazy("Updated"), lambda s: s.updated_at, "moment", 18),
)


@staff_view
def segment_list(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    rows = list(selectors.segment_list(actor=actor, query=request.GET.get("q", ""))[:200])
    for row in rows:
        row.members = selectors.segment_count(row, actor=actor)  # type: ignore[attr-defined]
        row.chips = describe(row.definition)  # type: ignore[attr-defined]
    if wants_xlsx(request):  # the page's rows (at most 200), each counted now
        return xlsx_download(
            name="segments", title=_("Member segments"), columns=SEGMENT_COLUMNS, rows=rows
        )
    return render(
        request,
        "console/segments/list.html",
        {
            "rows": rows,
            "manage": actor.has(Perm.SEGMENT_MANAGE),
            "q": request.GET.get("q", ""),
        },
    )


def _count_context(actor: Actor, form: FilterForm, store_id: int | None) -> dict[str, Any]:
    if not form.is_valid():
        return {"error": _("Check the highlighted fields.")}
    try:
        count = selectors.definition_count(
            actor=actor, definition=form.definition(), store_id=store_id
        )
    except PermissionDenied:
        raise
    except DomainError as exc:
        return {"error": str(exc.message)}
    return {"count": count, "chips": describe(form.definition())}


@staff_view
def segment_count(request: HttpRequest) -> HttpResponse:
    """The live count of the filter being edited (htmx fragment)."""
    actor = request_actor(request)
    require(actor, Perm.SEGMENT_VIEW)
    form = FilterForm(request.GET, actor=actor)
    store = request.GET.get("store") or ""
    store_id = int(store) if store.isdigit() else None
    if store_id is not None and not actor.covers_store(store_id):
        store_id = None
    return render(request, "console/segments/_count.html", _count_context(actor, form, store_id))


def _edit(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.SEGMENT_MANAGE)
    if segment is not None:
        initial = {
            **FilterForm.initial_of(segment.definition),
            "name": segment.name,
            "description": segment.description,
            "store": segment.store_id,
        }
    else:
        # A link from the RFM overview may preset classes or labels (?rfm_classes=…).
        initial = {
            "rfm_classes": request.GET.getlist("rfm_classes"),
            "labels": request.GET.getlist("labels"),
        }
    form = SegmentForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if segment is None:
                segment = services.segment_create(
                    actor=actor,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    definition=form.definition(),
                    store_id=form.cleaned_data["store"],
                )
            else:
                services.segment_update(
                    actor=actor,
                    segment_id=segment.pk,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    definition=form.definition(),
                )
        except PermissionDenied:
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Segment %(name)s saved.") % {"name": segment.name})
            return redirect("console:segment_detail", segment_id=segment.pk)
    if form.is_bound:
        definition = form.definition() if form.is_valid() else None
    else:
        definition = _initial_definition(initial, actor)
    count = None
    if definition is not None:
        try:
            count = selectors.definition_count(
                actor=actor,
                definition=definition,
                store_id=segment.store_id if segment else None,
            )
        except DomainError:
            count = None
    return render(
        request,
        "console/segments/form.html",
        {
            "form": form,
            "segment": segment,
            "count": count,
            "chips": describe(definition or {}),
        },
    )


def _initial_definition(initial: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """The definition an unbound form starts from (for the first count)."""
    data: dict[str, Any] = {}
    for key, value in initial.items():
        if value in (None, "", []) or key in ("name", "description", "store"):
            continue
        data[key] = value
    form = FilterForm(_as_querydict(data), actor=actor)
    return form.definition() if form.is_valid() else {}


def _as_querydict(data: dict[str, Any]) -> Any:
    from django.http import QueryDict

    q = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            q.setlist(key, [str(v) for v in value])
        else:
            q[key] = str(value)
    return q


@staff_view
def segment_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@staff_view
def segment_edit(request: HttpRequest, segment_id: int) -> HttpResponse:
    return _edit(request, _segment(request_actor(request), segment_id))


def _has_profile(member: Member) -> bool:
    try:
        member.profile  # noqa: B018
    except MemberProfile.DoesNotExist:
        return False
    return True


def _risk(profile: MemberProfile | None) -> int | None:
    """Churn risk in whole percent (1 − P(alive)), or None without a prediction."""
    if profile is None or profile.p_alive is None:
        return None
    return round((1 - profile.p_alive) * 100)


def _profile(member: Member) -> MemberProfile | None:
    return member.profile if _has_profile(member) else None


def _spend(member: Member) -> int | None:
    profile = _profile(member)
    return profile.spend_fen if profile is not None else None


# Mobiles masked, as on the member export; no other personal data.
MEMBER_COLUMNS: tuple[Column[Member], ...] = (
    Column(gettext_lazy("Member number"), lambda m: m.code, width=14),
    Column(gettext_lazy("Name"), lambda m: m.name, width=12),
    Column(gettext_lazy("Mobile"), lambda m: m.mobile_masked, width=14),
    Column(gettext_lazy("Joining store"), lambda m: m.home_store.name, width=14),
    Column(
        gettext_lazy("RFM class"),
        lambda m: p.get_rfm_class_display() if (p := _profile(m)) else None,
        width=12,
    ),
    Column(
        gettext_lazy("Last purchase"),
        lambda m: p.last_on if (p := _profile(m)) else None,
        "date",
        12,
    ),
    Column(gettext_lazy("Total spend"), _spend, "money", 12),
    Column(gettext_lazy("Churn risk"), lambda m: _risk(_profile(m)), "number", 10),
    Column(
        gettext_lazy("Predicted value"),
        lambda m: p.clv_fen if (p := _profile(m)) else None,
        "money",
        12,
    ),
)


@staff_view
def segment_detail(request: HttpRequest, segment_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    segment = _segment(actor, segment_id)
    members = (
        selectors.segment_members(segment, actor=actor)
        .select_related("home_store", "profile")
        .order_by("-joined_at", "-id")
    )
    if wants_xlsx(request):
        return xlsx_download(
            name="segment-members",
            title=segment.name,
            columns=MEMBER_COLUMNS,
            rows=members.iterator(chunk_size=1000),
        )
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    for member in shown:
        profile = getattr(member, "profile", None) if _has_profile(member) else None
        member.p = profile  # type: ignore[attr-defined]
        member.risk = _risk(profile)  # type: ignore[attr-defined]
    page.object_list = shown
    return render(
        request,
        "console/segments/detail.html",
        {
            "segment": segment,
            "chips": describe(segment.definition),
            "page": page,
            "manage": actor.has(Perm.SEGMENT_MANAGE),
            "classes": dict(RfmClass.choices),
        },
    )


@staff_view
@require_POST
def segment_delete(request: HttpRequest, segment_id: int) -> HttpResponse:
    actor = request_actor(request)
    segment = _segment(actor, segment_id)
    services.segment_delete(actor=actor, segment_id=segment.pk)
    messages.success(request, _("Segment %(name)s deleted.") % {"name": segment.name})
    return redirect("console:segment_list")


@staff_view
def rfm_overview(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    summary = selectors.rfm_summary(actor=actor)
    settings = selectors.rfm_settings_get()
    can_configure = actor.has(Perm.SEGMENT_MANAGE) and actor.store_ids is None
    initial = {
        "window_days": settings.window_days,
        "recent_days": settings.recent_days,
        "frequent_count": settings.frequent_count,
        "valuable": Decimal(settings.valuable_fen) / 100,
        "loyal_count": settings.loyal_count,
        "big_spender": Decimal(settings.big_spender_fen) / 100,
        "at_risk_days": settings.at_risk_days,
        "lost_days": settings.lost_days,
    }
    form = RfmSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_configure:
            raise PermissionDenied(_("Only head office changes the RFM cut points."))
        if form.is_valid():
            try:
                services.rfm_settings_update(actor=actor, values=form.values())
            except DomainError as exc:
                add_domain_error(
                    form,
                    exc,
                    aliases={"valuable_fen": "valuable", "big_spender_fen": "big_spender"},
                )
            else:
                services.profiles_rebuild()
                messages.success(request, _("Cut points saved; the classes are recomputed."))
                return redirect("console:segment_rfm")
    total = summary.members or 1
    cards = [
        {
            "row": row,
            "look": CLASS_LOOK[RfmClass(row.rfm_class)],
            "share": round(row.members * 100 / total, 1),
        }
        for row in summary.rows
    ]
    return render(
        request,
        "console/segments/rfm.html",
        {
            "summary": summary,
            "cards": cards,
            "settings": settings,
            "form": form,
            "can_configure": can_configure,
            "manage": actor.has(Perm.SEGMENT_MANAGE),
        },
    )


@staff_view
@require_POST
def profiles_refresh(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    result = services.profiles_refresh(actor=actor)
    messages.success(
        request,
        _("Recomputed %(n)s member profiles.") % {"n": result.members},
    )
    return redirect(request.POST.get("next") or "console:segment_rfm")


def _named(pairs: list[CrossSellPair]) -> list[CrossSellPair]:
    """Category pairs with the categories' names (the pairs keep codes)."""
    from huiyuan.catalog.models import Category

    codes = {p.antecedent for p in pairs} | {p.consequent for p in pairs}
    names = dict(Category.objects.filter(code__in=codes).values_list("code", "name"))
    for pair in pairs:
        pair.antecedent_name = names.get(pair.antecedent, pair.antecedent)  # type: ignore[attr-defined]
        pair.consequent_name = names.get(pair.consequent, pair.consequent)  # type: ignore[attr-defined]
    return pairs


PREDICTION_COLUMNS: tuple[Column[MemberProfile], ...] = (
    Column(gettext_lazy("Member number"), lambda p: p.member.code, width=14),
    Column(gettext_lazy("Name"), lambda p: p.member.name, width=12),
    Column(gettext_lazy("Mobile"), lambda p: p.member.mobile_masked, width=14),
    Column(gettext_lazy("Joining store"), lambda p: p.member.home_store.name, width=14),
    Column(gettext_lazy("RFM class"), lambda p: p.get_rfm_class_display(), width=12),
    Column(gettext_lazy("Last purchase"), lambda p: p.last_on, "date", 12),
    Column(gettext_lazy("Purchases"), lambda p: p.purchases, "number", 10),
    Column(gettext_lazy("Total spend"), lambda p: p.spend_fen, "money", 12),
    Column(gettext_lazy("Churn risk"), _risk, "number", 10),
    Column(
        gettext_lazy("Expected purchases (90 days)"),
        lambda p: (
            round(p.expected_purchases_90, 2) if p.expected_purchases_90 is not None else None
        ),
        "number",
        12,
    ),
    Column(gettext_lazy("Predicted value (1 year)"), lambda p: p.clv_fen, "money", 12),
)


@staff_view
def predictions(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    order = "clv" if request.GET.get("order") == "clv" else "risk"
    rows = selectors.profile_list(actor=actor, order=order)
    if wants_xlsx(request):
        return xlsx_download(
            name="predictions",
            title=_("Churn and value prediction"),
            columns=PREDICTION_COLUMNS,
            rows=rows.iterator(chunk_size=1000),
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    for profile in shown:
        profile.risk = _risk(profile)  # type: ignore[attr-defined]
    page.object_list = shown
    pairs = selectors.cross_sell_list(actor=actor)
    return render(
        request,
        "console/segments/predictions.html",
        {
            "fit": selectors.model_fit_latest(),
            "page": page,
            "order": order,
            "classes": dict(RfmClass.choices),
            "item_pairs": list(pairs.filter(level=CrossSellPair.Level.ITEM)[:20]),
            "category_pairs": _named(list(pairs.filter(level=CrossSellPair.Level.CATEGORY)[:20])),
            "manage": actor.has(Perm.SEGMENT_MANAGE),
            "profiles": MemberProfile.objects.count(),
        },
    )
