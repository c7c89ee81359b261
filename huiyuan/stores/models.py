"""Stores, terminals and staff (O1, O2)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from huiyuan.core.permissions import CHAIN_WIDE_ROLES, ROLE_LABELS, Actor, Role
from huiyuan.stores.api_scopes import scope_perms


class Store(models.Model):
    code = models.CharField(_("store code"), max_length=20, unique=True)
    name = models.CharField(_("store name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("store")  # 门店
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Terminal(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="terminals")
    code = models.CharField(_("terminal code"), max_length=30, unique=True)
    name = models.CharField(_("terminal name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("terminal")  # 收银终端
        ordering = ["store_id", "code"]

    def __str__(self) -> str:
        return f"{self.store.name} / {self.name}"


class Staff(AbstractUser):
    ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role]

    display_name = models.CharField(_("name"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=ROLE_CHOICES, default=Role.CASHIER)
    stores = models.ManyToManyField(
        Store, blank=True, related_name="staff", verbose_name=_("stores")
    )
    default_store = models.ForeignKey(
        Store,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("default store"),
    )

    class Meta:
        verbose_name = _("staff member")  # 员工
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_chain_wide(self) -> bool:
        return self.role_enum in CHAIN_WIDE_ROLES

    def store_id_set(self) -> frozenset[int] | None:
        if self.is_chain_wide:
            return None
        return frozenset(self.stores.values_list("id", flat=True))

    def as_actor(self, store_id: int | None = None) -> Actor:
        store_ids = self.store_id_set()
        if store_id is None:
            store_id = self.default_store_id
            if store_id is None and store_ids:
                store_id = min(store_ids)
        return Actor(role=self.role_enum, staff=self, store_ids=store_ids, store_id=store_id)


def api_key_default_scopes() -> list[str]:
    return ["all"]


class ApiKey(models.Model):
    """A terminal's key for the API. Only a hash is stored; the key is shown once.

    ``scopes`` narrow what the role allows (``huiyuan/stores/api_scopes.py``; ``all``: the
    role's every permission); ``rate_limit_per_minute`` caps its requests (429 beyond).
    """

    DEFAULT_RATE_LIMIT = 600

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    role = models.CharField(
        _("role"), max_length=20, choices=Staff.ROLE_CHOICES, default=Role.CASHIER
    )
    created_by = models.ForeignKey(Staff, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(_("scopes"), default=api_key_default_scopes)
    rate_limit_per_minute = models.PositiveIntegerField(
        _("requests per minute"), default=DEFAULT_RATE_LIMIT
    )

    class Meta:
        verbose_name = _("API key")
        ordering = ["-created_at"]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def as_actor(self) -> Actor:
        store_id = self.terminal.store_id
        return Actor(
            role=Role(self.role),
            terminal=self.terminal,
            store_ids=frozenset({store_id}),
            store_id=store_id,
            scope_perms=scope_perms(self.scopes or []),
        )


class StoreScopePolicy(models.Model):
    """The chain's 通存通兑 policy: per operation, whether any store of the chain may do it
    to another store's card (``chain``) or only the card's own store (``home``).

    One row (pk=1). ``rules`` holds only what the chain changed; ``huiyuan.stores.scope``
    reads it with the defaults filled in.
    """

    rules = models.JSONField(_("rules"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("store-scope policy")  # 通存通兑规则

    def __str__(self) -> str:
        return "store-scope policy"

    @classmethod
    def current(cls) -> StoreScopePolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy
