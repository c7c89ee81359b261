"""URLs of the member portal, mounted at /m/ (docs/portal.md: how to add a page).

To add a feature, put it in huiyuan/portal/<feature>/ (views.py, urls.py with
``app_name = "<feature>"``) and add ONE line at the end of ``urlpatterns``::

    path("<feature>/", include("huiyuan.portal.<feature>.urls")),

Views use ``huiyuan.portal.auth.member_required`` and extend ``portal/base.html``; a link
on 我的 (Me) is one line in ``huiyuan/portal/sections/__init__.py``.
"""

from django.urls import URLPattern, URLResolver, include, path

from huiyuan.portal import account, views

app_name = "portal"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("card/", views.card, name="card"),
    path("card/<int:card_id>/", views.card, name="card_detail"),
    path("card/<int:card_id>/code/", views.card_code, name="card_code"),
    path("card/<int:card_id>/history/", views.card_history, name="card_history"),
    path("me/", views.me, name="me"),
    path("join/", account.join, name="join"),
    path("signin/", account.signin, name="signin"),
    path("signout/", account.signout, name="signout"),
    path("reset/", account.reset, name="reset"),
    path("charter/", account.document, {"kind": "charter"}, name="charter"),
    path("privacy-notice/", account.document, {"kind": "privacy"}, name="privacy_notice"),
    path("privacy/", include("huiyuan.portal.privacy.urls")),
    path("sections/", include("huiyuan.portal.sections.urls")),
    # Features: one line each, below this comment.
    path("surveys/", include("huiyuan.portal.surveys.urls")),
    path("recharge/", include("huiyuan.portal.recharge.urls")),
    path("pin/", include("huiyuan.portal.pin.urls")),
    path("activities/", include("huiyuan.portal.activities.urls")),
    path("referral/", include("huiyuan.portal.referral.urls")),
    path("inbox/", include("huiyuan.portal.inbox.urls")),
    path("benefits/", include("huiyuan.portal.benefits.urls")),
    path("cardactivate/", include("huiyuan.portal.cardactivate.urls")),
]
