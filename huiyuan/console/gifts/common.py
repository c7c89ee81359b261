"""What the gift pages share: the acting staff member, the 404 for a missing row, showing a
service's refusal on a form."""

from __future__ import annotations

from django import forms
from django.http import Http404

from huiyuan.core.errors import DomainError, NotFound, PermissionDenied

# A service's field name → the form field it belongs to.
FIELDS = {"points_price": "points_price", "cash_fen": "cash", "code": "code", "name": "name"}


def show_error(form: forms.Form, exc: DomainError) -> None:
    """Put a refusal next to its field, or above the form; a permission refusal goes on."""
    if isinstance(exc, PermissionDenied):
        raise exc
    name = FIELDS.get(exc.field or "", exc.field or "")
    form.add_error(name if name in form.fields else None, str(exc.message))


def or_404(exc: NotFound) -> Http404:
    return Http404(str(exc.message))
