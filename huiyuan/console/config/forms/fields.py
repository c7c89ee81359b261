"""Fields and helpers the configuration forms share: amounts in yuan, lists, stores."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str, yuan_to_fen
from huiyuan.stores.models import Store


def fen_to_input(fen: int | None) -> str:
    """Fen as the plain yuan text a form field shows (no ¥, no thousands separator)."""
    if fen is None:
        return ""
    return fen_to_yuan_str(fen).replace("¥", "").replace(",", "")


class YuanField(forms.CharField):
    """A yuan amount typed by a person; ``clean`` gives integer fen (never a float)."""

    def __init__(self, *args: Any, allow_zero: bool = False, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().clean(value)
        if text in (None, ""):
            return None
        try:
            fen = yuan_to_fen(text)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc
        if fen < 0 or (fen == 0 and not self.allow_zero):
            raise forms.ValidationError(_("Enter an amount above zero."))
        return fen


def split_list(text: str) -> list[str]:
    """Words typed apart by commas, 、, semicolons or spaces; each once, in order."""
    parts = re.split(r"[,，、;；\s]+", text or "")
    seen: list[str] = []
    for part in parts:
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


def store_choices(stores: Iterable[Store]) -> list[tuple[str, str]]:
    """Stores as choices, "code · name"."""
    return [(str(s.pk), f"{s.code} · {s.name}") for s in stores]
