"""Who is acting in the console, and what the layout needs to know about them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from huiyuan.core.permissions import ROLE_LABELS, Actor, Perm
from huiyuan.stores.models import Staff, Store

SESSION_STORE_KEY = "store_id"


def switchable_stores(staff: Staff) -> list[Store]:
    """The stores a staff member can work at: their own, or every store for head office."""
    if staff.is_chain_wide:
        return list(Store.objects.filter(is_active=True).order_by("code"))
    return list(staff.stores.filter(is_active=True).order_by("code"))


def request_actor(request: HttpRequest) -> Actor:
    """The logged-in staff member as an ``Actor`` at the store chosen in the session."""
    staff = request.user
    assert isinstance(staff, Staff)
    cached = getattr(request, "_console_actor", None)
    if isinstance(cached, Actor):
        return cached
    store_id = request.session.get(SESSION_STORE_KEY)
    if store_id is not None:
        allowed = staff.store_id_set()
        if allowed is not None and store_id not in allowed:
            store_id = None
    actor = staff.as_actor(store_id=store_id)
    request._console_actor = actor  # type: ignore[attr-defined]
    return actor


# Permission flags the layout uses to show or hide navigation entries and buttons.
UI_PERMS = {
    "dashboard": Perm.DASHBOARD_VIEW,
    "member_view": Perm.MEMBER_VIEW,
    "member_create": Perm.MEMBER_CREATE,
    "member_edit": Perm.MEMBER_EDIT,
    "member_freeze": Perm.MEMBER_FREEZE,
    "member_cancel": Perm.MEMBER_CANCEL,
    "member_terminate": Perm.MEMBER_TERMINATE,
    "member_merge": Perm.MEMBER_MERGE,
    "member_export": Perm.MEMBER_EXPORT,
    "member_view_pii": Perm.MEMBER_VIEW_PII,
    "member_configure": Perm.MEMBER_CONFIGURE,
    "audit_view": Perm.AUDIT_VIEW,
    "store_view": Perm.STORE_VIEW,
    "store_manage": Perm.STORE_MANAGE,
    "staff_manage": Perm.STAFF_MANAGE,
    "apikey_manage": Perm.APIKEY_MANAGE,
    "card_configure": Perm.CARD_CONFIGURE,
    "wallet_configure": Perm.WALLET_CONFIGURE,
    "wallet_batch": Perm.WALLET_BATCH,
    "points_configure": Perm.POINTS_CONFIGURE,
    "tier_configure": Perm.TIER_CONFIGURE,
    "report_view": Perm.REPORT_VIEW,
    "event_view": Perm.EVENT_VIEW,
    "webhook_manage": Perm.WEBHOOK_MANAGE,
    "sale_create": Perm.SALE_CREATE,
    "wallet_recharge": Perm.WALLET_RECHARGE,
    "payment_view": Perm.PAYMENT_VIEW,
    "catalog_view": Perm.CATALOG_VIEW,
    "catalog_manage": Perm.CATALOG_MANAGE,
    "stock_view": Perm.STOCK_VIEW,
    "stock_manage": Perm.STOCK_MANAGE,
    "stock_configure": Perm.STOCK_CONFIGURE,
    "card_activate": Perm.CARD_ACTIVATE,
    "card_batch_view": Perm.CARD_BATCH_VIEW,
    "gift_view": Perm.GIFT_VIEW,
    "gift_manage": Perm.GIFT_MANAGE,
    "gift_redeem": Perm.GIFT_REDEEM,
    "checkin_record": Perm.CHECKIN_RECORD,
    "coupon_view": Perm.COUPON_VIEW,
    "coupon_manage": Perm.COUPON_MANAGE,
    "coupon_issue": Perm.COUPON_ISSUE,
    "activity_view": Perm.ACTIVITY_VIEW,
    "activity_manage": Perm.ACTIVITY_MANAGE,
    "activity_signup": Perm.ACTIVITY_SIGNUP,
    "import_members": Perm.IMPORT_MEMBERS,
    "import_legacy": Perm.IMPORT_LEGACY,
    "followup_view": Perm.FOLLOWUP_VIEW,
    "followup_configure": Perm.FOLLOWUP_CONFIGURE,
    "survey_view": Perm.SURVEY_VIEW,
    "feedback_view": Perm.FEEDBACK_VIEW,
    "segment_view": Perm.SEGMENT_VIEW,
    "segment_manage": Perm.SEGMENT_MANAGE,
    "care_view": Perm.CARE_VIEW,
    "care_manage": Perm.CARE_MANAGE,
}


def console(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, Staff) or not user.is_authenticated:
        return {"can": {}, "console_actor": None}
    actor = request_actor(request)
    can = {name: actor.has(perm) for name, perm in UI_PERMS.items()}
    can["back_office"] = any(
        can[name]
        for name in (
            "audit_view",
            "store_view",
            "staff_manage",
            "apikey_manage",
            "member_configure",
            "card_configure",
            "wallet_configure",
            "wallet_batch",
            "points_configure",
            "tier_configure",
            "event_view",
            "webhook_manage",
            "report_view",
        )
    )
    stores = switchable_stores(user)
    current_store = next((s for s in stores if s.pk == actor.store_id), None)
    return {
        "can": can,
        "console_actor": actor,
        "role_label": ROLE_LABELS[actor.role],
        "switchable_stores": stores,
        "current_store": current_store,
    }
