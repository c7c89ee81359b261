"""The survey link's token: the survey and the member, signed (one member answers once).

``token_make(survey_id, member_id)`` → ``"12.345.<signature>"``; anyone holding the link
answers as that member, so the link goes only to that member (portal, SMS).
"""

from __future__ import annotations

from django.core import signing
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import NotFound

SALT = "huiyuan.surveys.invite"


def token_make(survey_id: int, member_id: int) -> str:
    return signing.Signer(salt=SALT, sep=".").sign(f"{survey_id}.{member_id}")


def token_read(token: str) -> tuple[int, int]:
    """(survey id, member id) of a token; NotFound for a forged or mangled one."""
    try:
        value = signing.Signer(salt=SALT, sep=".").unsign(token or "")
        survey_id, member_id = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        raise NotFound(_("This survey link is not valid."), code="invalid_survey_link") from None
    return survey_id, member_id
