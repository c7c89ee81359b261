"""Reads of the member archive: search, the 360° page, history, dashboard figures.

Store scope (通存通兑, ``huiyuan.stores.scope``): a store-scoped actor lists, exports and
searches by name, initials or last four digits only among its stores' members. A member
of another store is found only by an exact key — the full mobile, ID number or member
number — and comes back masked (``member_mask``): a counter can serve them, not read them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.core import pii
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members.models import CustomField, Member, Tag
from huiyuan.stores.scope import stores_in_view

CJK_RE = re.compile(r"[\u4e00-\u9fff]")
MEMBER_CODE_LENGTH = 10  # 8 and nine digits (huiyuan.members.services)
ID_RE = re.compile(r"^\d{17}[\dXx]$")


def _prefix_range(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, as a range a plain b-tree index can answer."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


# A search by letters returns at most this many matches per field (initials, pinyin): a
# common prefix such as "zh" matches a sixth of an archive, and a search box shows the
# first matches, not a hundred thousand of them.
LETTER_SEARCH_CAP = 500


def _letter_matches(q: str, cap: int) -> list[int]:
    """Ids of members whose initials or full pinyin start with ``q``.

    Two ordered, limited range scans (each served by a (field, id) index) instead of one
    OR, which neither SQLite nor PostgreSQL can answer from an index.
    """
    ids: dict[int, None] = {}
    for field in ("name_initials", "name_pinyin"):
        scan = (
            Member.objects.filter(_prefix_range(field, q))
            .order_by(field, "id")
            .values_list("id", flat=True)[:cap]
        )
        ids.update(dict.fromkeys(scan))
    return list(ids)


@dataclass(frozen=True)
class MemberSearch:
    """What a search box text matches: ``exact`` keys name one member (full mobile, ID
    number, member number); ``fuzzy`` ones many (name, initials, last four digits)."""

    exact: Q | None = None
    fuzzy: Q | None = None

    def condition(self, store_ids: frozenset[int] | None = None) -> Q:
        """Exact matches anywhere; fuzzy ones only in ``store_ids`` (None: every store)."""
        fuzzy = self.fuzzy
        if fuzzy is not None and store_ids is not None:
            fuzzy = fuzzy & Q(home_store_id__in=store_ids)
        parts = [c for c in (self.exact, fuzzy) if c is not None]
        if not parts:
            return Q(pk__in=[])
        return parts[0] | parts[1] if len(parts) == 2 else parts[0]


# A mobile as people type it: +86 138 0013 8000, 0086-138…, 86138….
MOBILE_PREFIX_RE = re.compile(r"^(?:\+86|0086|86)(1\d{10})$")


def search_text(query: str) -> str:
    """A search box text without spaces and dashes, a mobile without its country code."""
    q = re.sub(r"[\s\-]", "", query.strip())
    found = MOBILE_PREFIX_RE.match(q)
    return found.group(1) if found else q


def _card_holders(number: str) -> Q:
    """Members holding the card numbered ``number`` (primary or further holder)."""
    from django.apps import apps  # cards builds on members: no import at module level

    card = apps.get_model("cards", "Card")
    holder = apps.get_model("cards", "CardHolder")
    return Q(pk__in=card.objects.filter(number=number).values("member_id")) | Q(
        pk__in=holder.objects.filter(card__number=number).values("member_id")
    )


def member_search(query: str, *, cap: int = LETTER_SEARCH_CAP) -> MemberSearch | None:
    """How a search box text finds members: mobile (also +86…), member number (also its
    first digits), card number, ID number, name (also the given name alone), initials or
    full pinyin."""
    q = search_text(query)
    if not q:
        return None
    if ID_RE.match(q):
        return MemberSearch(exact=Q(id_number_hash=pii.keyed_hash(q.upper())))
    if q.isdigit():
        if len(q) == 11 and q.startswith("1"):
            return MemberSearch(
                exact=Q(mobile_hash=pii.keyed_hash(q)) | Q(code=q) | _card_holders(q)
            )
        if len(q) == 4:
            return MemberSearch(exact=Q(code=q), fuzzy=Q(mobile_last4=q))
        prefix = _prefix_range("code", q) if 5 <= len(q) < MEMBER_CODE_LENGTH else None
        return MemberSearch(exact=Q(code=q) | _card_holders(q), fuzzy=prefix)
    if CJK_RE.search(q):
        # 张三丰 by 张三 or by 三丰: a given name alone is how staff often know a member.
        fuzzy = Q(name__startswith=q)
        if len(q) >= 2:
            fuzzy |= Q(name__contains=q)
        return MemberSearch(fuzzy=fuzzy)
    if q.isascii() and q.isalpha():
        return MemberSearch(fuzzy=Q(pk__in=_letter_matches(q.lower(), cap)))
    return MemberSearch()


def member_search_filter(query: str, *, cap: int = LETTER_SEARCH_CAP) -> Q | None:
    """Every member a search box text finds, chain-wide (no store scope applied)."""
    search = member_search(query, cap=cap)
    return None if search is None else search.condition()


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 李四 → 李*: enough to confirm a member at the counter, no more."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def member_in_scope(actor: Actor, member: Member) -> bool:
    """Whether ``member`` belongs to one of the actor's stores (chain-wide roles: all)."""
    return actor.covers_store(member.home_store_id)


def member_mask(actor: Actor, members: Iterable[Member]) -> list[Member]:
    """The members, with those outside the actor's stores masked in place for display.

    Masked: the name (张*丰), e-mail, birthday, region, occupation, preferences and custom
    fields; the mobile, ID number and address are masked for everyone already. A masked
    instance carries ``scope_masked = True`` and is for reading only: never save it.
    """
    shown = list(members)
    for member in shown:
        masked = not member_in_scope(actor, member)
        member.scope_masked = masked  # type: ignore[attr-defined]
        if masked:
            member.name = mask_name(member.name)
            member.email = ""
            member.birthday = None
            member.lunar_birth_month = member.lunar_birth_day = None
            member.region = member.occupation = member.preferences = ""
            member.custom_fields = {}
    return shown


@dataclass(frozen=True)
class MemberFilters:
    query: str = ""
    store_id: int | None = None
    status: str = ""
    tag_id: int | None = None
    channel: str = ""
    joined_from: dt.date | None = None
    joined_to: dt.date | None = None
    tier_id: int | None = None
    # The tier filtered on is the lowest: members never moved (no tier state) are in it.
    tier_is_lowest: bool = False


def members_unranked() -> int:
    """Members (not merged away) with no tier state: they are at the lowest tier."""
    return (
        Member.objects.exclude(status=Member.Status.MERGED).filter(tier_state__isnull=True).count()
    )


# The status filter's value for members with earning or spending frozen (any status).
FROZEN = "frozen"


def member_list(
    *, actor: Actor, filters: MemberFilters, exact_elsewhere: bool = True
) -> QuerySet[Member]:
    """Members matching ``filters``, newest first, with the rows a list shows fetched.

    Limited to the actor's stores (or the one store filtered on, which must be one of
    them). With ``exact_elsewhere``, an exact key in the query (full mobile, ID number,
    member number) also finds a member of another store, for 通存通兑 service: show such
    rows through ``member_mask``. An export passes ``exact_elsewhere=False``.
    """
    require(actor, Perm.MEMBER_VIEW)
    store_ids = stores_in_view(actor, filters.store_id or None)
    qs = Member.objects.select_related("home_store")
    search = member_search(filters.query)
    if search is not None:
        qs = qs.filter(search.condition(store_ids))
    if store_ids is not None:
        in_view = Q(home_store_id__in=store_ids)
        if exact_elsewhere and search is not None and search.exact is not None:
            in_view |= search.exact
        qs = qs.filter(in_view)
    if filters.status == FROZEN:
        qs = qs.filter(Q(earn_frozen=True) | Q(spend_frozen=True)).exclude(
            status=Member.Status.MERGED
        )
    elif filters.status:
        qs = qs.filter(status=filters.status)
    else:
        qs = qs.exclude(status=Member.Status.MERGED)
    if filters.tier_id:
        in_tier = Q(tier_state__tier_id=filters.tier_id)
        if filters.tier_is_lowest:
            in_tier |= Q(tier_state__isnull=True)
        qs = qs.filter(in_tier)
    if filters.tag_id:
        qs = qs.filter(tags__id=filters.tag_id)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.joined_from:
        qs = qs.filter(joined_at__date__gte=filters.joined_from)
    if filters.joined_to:
        qs = qs.filter(joined_at__date__lte=filters.joined_to)
    return qs.order_by("-joined_at", "-id")


def member_lookup(*, actor: Actor, query: str, limit: int = 10) -> list[Member]:
    """The counter's quick look-up: best matches first, active members before others.

    Exact keys find a member anywhere in the chain (masked when of another store); names,
    initials and last four digits only the actor's stores' members.
    """
    require(actor, Perm.MEMBER_VIEW)
    search = member_search(query, cap=limit * 3)
    if search is None:
        return []
    rows = list(
        Member.objects.filter(search.condition(actor.store_ids))
        .exclude(status=Member.Status.MERGED)
        .select_related("home_store")
        .order_by("name_initials", "id")[:limit]
    )
    rows.sort(key=lambda m: (m.status != Member.Status.ACTIVE, m.name_initials, m.pk))
    return member_mask(actor, rows)


def member_get(*, actor: Actor, member_id: int) -> Member | None:
    """One member by id; a member of a store outside the actor's scope comes masked."""
    require(actor, Perm.MEMBER_VIEW)
    member = (
        Member.objects.select_related("home_store", "registered_by", "referrer", "merged_into")
        .prefetch_related("tags")
        .filter(pk=member_id)
        .first()
    )
    return None if member is None else member_mask(actor, [member])[0]


def member_history(*, actor: Actor, member: Member, limit: int = 200) -> list[AuditEvent]:
    """The member's audit trail, including that of archives merged into it.

    For a member of another store, only what happened at the actor's stores.
    """
    require(actor, Perm.MEMBER_VIEW)
    ids = [member.pk, *_merged_ids(member.pk)]
    events = AuditEvent.objects.filter(member_id__in=ids)
    if not member_in_scope(actor, member):
        events = events.filter(store_id__in=actor.store_ids or ())
    return list(events.select_related("store", "actor").order_by("-created_at", "-id")[:limit])


def _merged_ids(member_id: int) -> list[int]:
    found: list[int] = []
    frontier = [member_id]
    while frontier:
        frontier = list(
            Member.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True)
        )
        found.extend(frontier)
    return found


@dataclass(frozen=True)
class MemberStats:
    total: int
    today: int
    this_month: int
    frozen: int
    by_store: list[dict[str, object]]
    by_channel: list[dict[str, object]]
    by_day: list[tuple[dt.date, int]]


def member_stats(*, actor: Actor, days: int = 30, store_id: int | None = None) -> MemberStats:
    """Real figures for the dashboard, limited to the actor's stores (or one of them)."""
    require(actor, Perm.DASHBOARD_VIEW)
    store_ids = stores_in_view(actor, store_id)
    qs = Member.objects.exclude(status=Member.Status.MERGED)
    if store_ids is not None:
        qs = qs.filter(home_store_id__in=store_ids)
    now = timezone.localtime()
    today = now.date()
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start_of_month = start_of_day.replace(day=1)
    since = start_of_day - dt.timedelta(days=days - 1)
    per_day: dict[dt.date, int] = {today - dt.timedelta(days=i): 0 for i in range(days)}
    for joined in qs.filter(joined_at__gte=since).values_list("joined_at", flat=True).iterator():
        per_day[timezone.localtime(joined).date()] = (
            per_day.get(timezone.localtime(joined).date(), 0) + 1
        )
    by_store = list(
        qs.values("home_store__name")
        .annotate(
            total=Count("id"),
            this_month=Count("id", filter=Q(joined_at__gte=start_of_month)),
            today=Count("id", filter=Q(joined_at__gte=start_of_day)),
        )
        .order_by("home_store__code")
    )
    by_channel = list(qs.values("channel").annotate(total=Count("id")).order_by("-total"))
    return MemberStats(
        total=qs.count(),
        today=qs.filter(joined_at__gte=start_of_day).count(),
        this_month=qs.filter(joined_at__gte=start_of_month).count(),
        frozen=qs.filter(Q(earn_frozen=True) | Q(spend_frozen=True)).count(),
        by_store=by_store,
        by_channel=by_channel,
        by_day=sorted(per_day.items()),
    )


def tag_list(*, actor: Actor) -> QuerySet[Tag]:
    """Every tag by name, with ``member_count`` (members not merged away)."""
    require(actor, Perm.MEMBER_CONFIGURE)
    return Tag.objects.annotate(
        member_count=Count("members", filter=~Q(members__status=Member.Status.MERGED))
    ).order_by("name")


def custom_field_list(*, actor: Actor) -> QuerySet[CustomField]:
    """Every custom field definition in display order, active and inactive."""
    require(actor, Perm.MEMBER_CONFIGURE)
    return CustomField.objects.order_by("position", "id")
