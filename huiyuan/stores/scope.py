"""Store scope (通存通兑): what a store may do to another store's card, sale or member.

A chain shares its members: a member of store B may shop at store A and pay from the card
B issued. What store A may do to B's card beyond that is the chain's **store-scope
policy**, one reach per operation:

- ``chain`` (全连锁): any store of the chain may do it (spend, recharge, report lost);
- ``home`` (仅归属门店): only the store the object belongs to — the card's home store, the
  store where a sale was booked, the member's joining store — or a chain-wide role.

Chain-wide roles (owner, HQ admin, call center, marketer) act on every store; whether they
may do an operation at all is ``require``'s business, not this module's. Store-scoped
actors (store managers, cashiers, terminal keys) act freely on what belongs to one of their
stores; on another store's, the policy decides. The policy is one row
(``StoreScopePolicy``), edited by the owner or head office; operations missing from it take
``OPS[op].default``. ``docs/store-scope.md`` is the table for people.

Every service that touches a card, a sale or a member on behalf of an actor calls
``scope_require`` right where it has read that row under its lock, after ``require``::

    card = _locked_card(card_id)
    scope_require(actor, ScopeOp.REISSUE, home_store_id=card.store_id)

Reports, exports and lists use ``stores_in_view``: a store-scoped actor sees its stores'
figures and rows only; a chain-wide actor sees all, or one store it picks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import PermissionDenied
from huiyuan.core.permissions import Actor

OUT_OF_STORE_SCOPE = "out_of_store_scope"


class ScopeOp(StrEnum):
    """An operation on a card, a sale or a member that the policy speaks about."""

    CARD_ISSUE = "card_issue"
    SPEND = "spend"
    RECHARGE = "recharge"
    REPORT_LOST = "report_lost"
    MARK_FOUND = "mark_found"
    RENEW = "renew"
    REISSUE = "reissue"
    CANCEL = "cancel"
    ADD_HOLDER = "add_holder"
    REFUND = "refund"
    POINTS_ADJUST = "points_adjust"
    POINTS_REVOKE = "points_revoke"
    POINTS_SUPPLEMENT = "points_supplement"
    SALE_REVERSE = "sale_reverse"
    TIER_MOVE = "tier_move"


class Reach(StrEnum):
    """Where a store-scoped actor may do an operation to something of another store."""

    CHAIN = "chain"
    HOME = "home"


REACH_LABELS: dict[Reach, Promise] = {
    Reach.CHAIN: _("At any store of the chain"),
    Reach.HOME: _("Only at its own store, or by head office"),
}


class Subject(StrEnum):
    """What an operation is about, which says whose store is the "home" one."""

    CARD = "card"  # the card's home store (where it was issued)
    SALE = "sale"  # the store where the sale was booked
    MEMBER = "member"  # the member's joining store
    STORE = "store"  # the store the new card will belong to


@dataclass(frozen=True)
class OpSpec:
    label: Promise
    subject: Subject
    default: Reach
    configurable: bool = True
    why: Promise | str = ""


OPS: dict[ScopeOp, OpSpec] = {
    ScopeOp.CARD_ISSUE: OpSpec(
        _("Issue a card"),
        Subject.STORE,
        Reach.HOME,
        configurable=False,
        why=_("A card belongs to the store that issues it; a store issues only its own."),
    ),
    ScopeOp.SPEND: OpSpec(
        _("Spend from a card"),
        Subject.CARD,
        Reach.CHAIN,
        why=_("通存通兑: members pay with their card at any store; settlement follows."),
    ),
    ScopeOp.RECHARGE: OpSpec(
        _("Recharge a card"),
        Subject.CARD,
        Reach.CHAIN,
        why=_("The money is received by the store that recharges."),
    ),
    ScopeOp.REPORT_LOST: OpSpec(
        _("Report a card lost"),
        Subject.CARD,
        Reach.CHAIN,
        why=_("A member may call any store; blocking a lost card must not wait."),
    ),
    ScopeOp.MARK_FOUND: OpSpec(
        _("Mark a lost card found"),
        Subject.CARD,
        Reach.HOME,
        why=_("Unblocking a card re-opens its balance: the home store checks the holder."),
    ),
    ScopeOp.RENEW: OpSpec(_("Renew a card"), Subject.CARD, Reach.HOME),
    ScopeOp.REISSUE: OpSpec(
        _("Reissue a card"),
        Subject.CARD,
        Reach.HOME,
        why=_("Reissue moves the whole balance onto a new card."),
    ),
    ScopeOp.CANCEL: OpSpec(_("Cancel a card"), Subject.CARD, Reach.HOME),
    ScopeOp.ADD_HOLDER: OpSpec(
        _("Add a card holder"),
        Subject.CARD,
        Reach.HOME,
        why=_("A further holder spends from the card's wallet."),
    ),
    ScopeOp.REFUND: OpSpec(
        _("Refund stored value"),
        Subject.CARD,
        Reach.HOME,
        why=_("Money leaves the chain; the store that holds the prepayment pays it back."),
    ),
    ScopeOp.POINTS_ADJUST: OpSpec(_("Adjust points by hand"), Subject.CARD, Reach.HOME),
    ScopeOp.POINTS_REVOKE: OpSpec(_("Revoke a points grant"), Subject.CARD, Reach.HOME),
    ScopeOp.POINTS_SUPPLEMENT: OpSpec(
        _("Supplementary points (补积分)"),
        Subject.SALE,
        Reach.HOME,
        why=_("The receipt is the booking store's; that store issues the points."),
    ),
    ScopeOp.SALE_REVERSE: OpSpec(
        _("Reverse a sale"),
        Subject.SALE,
        Reach.HOME,
        why=_("The store where the sale was booked gives the money back."),
    ),
    ScopeOp.TIER_MOVE: OpSpec(_("Move a member's tier by hand"), Subject.MEMBER, Reach.HOME),
}

DEFAULT_POLICY: dict[ScopeOp, Reach] = {op: spec.default for op, spec in OPS.items()}
CONFIGURABLE_OPS: tuple[ScopeOp, ...] = tuple(op for op, spec in OPS.items() if spec.configurable)

_REFUSALS: dict[Subject, Promise] = {
    Subject.CARD: _(
        "%(operation)s: this card belongs to another store; only its home store or head "
        "office can do this."
    ),
    Subject.SALE: _(
        "%(operation)s: this sale was made at another store; only that store or head office "
        "can do this."
    ),
    Subject.MEMBER: _(
        "%(operation)s: this member belongs to another store; only their joining store or "
        "head office can do this."
    ),
    Subject.STORE: _("%(operation)s: this is possible only at your own stores."),
}


def policy_from_rules(rules: Mapping[str, str] | None) -> dict[ScopeOp, Reach]:
    """The full policy a stored ``rules`` mapping means: defaults for what it leaves out.

    Unknown keys and values are ignored; fixed operations always keep their default.
    """
    policy = dict(DEFAULT_POLICY)
    for op in CONFIGURABLE_OPS:
        value = (rules or {}).get(op.value)
        if value in {r.value for r in Reach}:
            policy[op] = Reach(value)
    return policy


def scope_policy() -> dict[ScopeOp, Reach]:
    """The chain's policy now, every operation with its reach."""
    from huiyuan.stores.models import StoreScopePolicy

    # A read never creates the row: no row means the defaults.
    rules = StoreScopePolicy.objects.filter(pk=1).values_list("rules", flat=True).first()
    return policy_from_rules(rules)


def scope_allows(actor: Actor, op: ScopeOp, *, home_store_id: int | None) -> bool:
    """Whether ``actor`` may do ``op`` to something belonging to ``home_store_id``.

    Reads the policy only when it matters: for a store-scoped actor outside that store.
    """
    if actor.store_ids is None:
        return True
    if home_store_id is not None and home_store_id in actor.store_ids:
        return True
    if not OPS[op].configurable:
        return OPS[op].default == Reach.CHAIN
    return scope_policy()[op] == Reach.CHAIN


def scope_require(actor: Actor, op: ScopeOp, *, home_store_id: int | None) -> None:
    """Refuse (``out_of_store_scope``) unless the policy lets ``actor`` do ``op`` here.

    ``home_store_id`` is the store the card, sale or member belongs to (see ``Subject``).
    Call it after ``require`` (the permission) and on the row read under the lock.
    """
    if scope_allows(actor, op, home_store_id=home_store_id):
        return
    spec = OPS[op]
    raise PermissionDenied(
        _REFUSALS[spec.subject] % {"operation": spec.label},
        code=OUT_OF_STORE_SCOPE,
        details={"operation": op.value, "store_id": home_store_id},
    )


def stores_in_view(actor: Actor, store_id: int | None = None) -> frozenset[int] | None:
    """The stores a report, list or export covers for ``actor`` (None: every store).

    A store-scoped actor sees its own stores; anyone may narrow the view to one store it
    covers. Asking for a store outside the actor's scope is refused (``store_forbidden``).
    """
    if store_id is None:
        return actor.store_ids
    if not actor.covers_store(store_id):
        raise PermissionDenied(
            _("This store is outside your scope."),
            code="store_forbidden",
            details={"store_id": store_id},
        )
    return frozenset({store_id})
