"""Category tree: create, rename, move (never under itself), reorder.

A category's ``path`` and ``path_names`` repeat its ancestors'; a move or a rename rewrites
them for the whole subtree in the same transaction. Lock order: the moved category and its
new parent (by id), then the moved subtree — so two moves that would make a cycle together
run one after the other, and the second sees the first's paths and is refused.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.catalog.models import CODE_PATTERN, MAX_DEPTH, Category
from huiyuan.catalog.services.common import UNSET, clean_text, run_once
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require

NAME_MAX = 40
MAX_POSITION = 32_767


def category_state(category: Category) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.name,
        "parent": category.parent.code if category.parent_id and category.parent else None,
        "path": category.path,
        "position": category.position,
    }


def _clean_code(code: object) -> str:
    text = code.strip() if isinstance(code, str) else ""
    if not re.fullmatch(CODE_PATTERN, text):
        raise ValidationFailed(
            _(
                "A category code is 1–30 lowercase letters, digits, - or _, starting with a "
                "letter or digit."
            ),
            code="invalid_category_code",
            field="code",
        )
    return text


def _clean_position(position: object) -> int:
    if isinstance(position, bool) or not isinstance(position, int):
        raise ValidationFailed(
            _("Enter a whole number."), code="invalid_position", field="position"
        )
    if not 0 <= position <= MAX_POSITION:
        raise ValidationFailed(
            _("The order is 0 to %(max)s.") % {"max": MAX_POSITION},
            code="invalid_position",
            field="position",
        )
    return position


def _unknown_category(field: str = "category_id") -> NotFound:
    return NotFound(_("Unknown category."), code="unknown_category", field=field)


def _too_deep() -> ValidationFailed:
    return ValidationFailed(
        _("Categories nest at most %(max)s levels deep.") % {"max": MAX_DEPTH},
        code="category_too_deep",
        field="parent_id",
    )


def category_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    parent_id: int | None = None,
    position: int = 0,
    idempotency_key: str = "",
) -> Category:
    """Add a category at the top or under ``parent_id``."""
    require(actor, Perm.CATALOG_MANAGE)
    code = _clean_code(code)
    name = clean_text(name, field="name", max_length=NAME_MAX)
    position = _clean_position(position)

    def perform() -> Category:
        with transaction.atomic():
            parent = None
            if parent_id is not None:
                parent = Category.objects.select_for_update().filter(pk=parent_id).first()
                if parent is None:
                    raise _unknown_category("parent_id")
                if parent.depth + 1 >= MAX_DEPTH:
                    raise _too_deep()
            if Category.objects.filter(code=code).exists():
                raise _duplicate_code()
            try:
                with transaction.atomic():
                    category = Category.objects.create(
                        code=code,
                        name=name,
                        parent=parent,
                        position=position,
                        path=f"{parent.path}/{code}" if parent else code,
                        path_names=[*parent.path_names, name] if parent else [name],
                        depth=parent.depth + 1 if parent else 0,
                    )
            except IntegrityError as exc:  # the same code, created at the same moment
                raise _duplicate_code() from exc
            audit_record(
                actor=actor,
                action="catalog.category_created",
                subject_type="category",
                subject_id=category.pk,
                after=category_state(category),
            )
        return category

    return run_once(
        actor=actor,
        key=idempotency_key,
        kind="catalog_category_create",
        payload={"code": code, "name": name, "parent_id": parent_id, "position": position},
        perform=perform,
        load=lambda pk: Category.objects.select_related("parent").get(pk=pk),
    )


def _duplicate_code() -> Conflict:
    return Conflict(
        _("This category code is already in use."), code="duplicate_category_code", field="code"
    )


def category_update(
    *,
    actor: Actor,
    category_id: int,
    name: str | None = None,
    parent_id: Any = UNSET,
    position: int | None = None,
) -> Category:
    """Rename, move (``parent_id``: another category, or ``None`` for the top level) or
    reorder a category. The code never changes. Moving under itself or under one of its
    own descendants is refused (``category_cycle``)."""
    require(actor, Perm.CATALOG_MANAGE)
    new_name = clean_text(name, field="name", max_length=NAME_MAX) if name is not None else None
    new_position = _clean_position(position) if position is not None else None
    moving = parent_id is not UNSET
    if (
        moving
        and parent_id is not None
        and (isinstance(parent_id, bool) or not isinstance(parent_id, int))
    ):
        raise _unknown_category("parent_id")
    with transaction.atomic():
        ids = [category_id, parent_id] if moving and parent_id is not None else [category_id]
        locked = {
            c.pk: c for c in Category.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        category = locked.get(category_id)
        if category is None:
            raise _unknown_category()
        before = category_state(category)
        parent: Category | None = None
        if moving and parent_id is not None:
            parent = locked.get(parent_id)
            if parent is None:
                raise _unknown_category("parent_id")
            if parent.pk == category.pk or parent.path.startswith(f"{category.path}/"):
                raise ValidationFailed(
                    _("A category cannot move under itself or under one of its subcategories."),
                    code="category_cycle",
                    field="parent_id",
                )
        subtree = list(
            Category.objects.select_for_update()
            .filter(path__startswith=f"{category.path}/")
            .order_by("pk")
        )
        old_path, old_depth = category.path, category.depth
        if moving:
            category.parent = parent
            height = max((c.depth - old_depth for c in subtree), default=0)
            new_depth = parent.depth + 1 if parent else 0
            if new_depth + height >= MAX_DEPTH:
                raise _too_deep()
            category.depth = new_depth
            category.path = f"{parent.path}/{category.code}" if parent else category.code
        if new_name is not None:
            category.name = new_name
        if new_position is not None:
            category.position = new_position
        prefix = list(parent.path_names) if moving and parent else None
        if moving:
            category.path_names = [*(prefix or []), category.name]
        else:
            category.path_names = [*category.path_names[:-1], category.name]
        category.save()
        for node in subtree:
            node.path = category.path + node.path[len(old_path) :]
            node.path_names = [*category.path_names, *node.path_names[old_depth + 1 :]]
            node.depth = category.depth + (node.depth - old_depth)
        if subtree:
            Category.objects.bulk_update(subtree, ["path", "path_names", "depth"])
        after = category_state(category)
        if after != before:
            audit_record(
                actor=actor,
                action="catalog.category_updated",
                subject_type="category",
                subject_id=category.pk,
                before=before,
                after={**after, "subtree": len(subtree)} if moving else after,
            )
    return category
