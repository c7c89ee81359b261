"""Fixtures for the outbox tests: a registry restored after each test, recording subscribers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from huiyuan.events.models import OutboxEvent
from huiyuan.events.registry import registry_restore, registry_snapshot, subscriber


@pytest.fixture(autouse=True)
def registry() -> Iterator[None]:
    """Only the subscribers a test registers (the apps' own subscribers — webhooks,
    commission, coupons… — are tested in their apps); the registry is restored after."""
    saved = registry_snapshot()
    registry_restore({})
    yield
    registry_restore(saved)


class Recorder:
    """A subscriber that records the events it saw (and can be told to fail)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[tuple[int, str]] = []
        self.failures_left = 0

    def __call__(self, event: OutboxEvent) -> None:
        self.seen.append((event.pk, event.name))
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError(f"{self.name} is down")


@pytest.fixture
def recorder(registry) -> Callable[..., Recorder]:
    def make(*names: str, name: str) -> Recorder:
        rec = Recorder(name)
        subscriber(*names, name=name)(rec)
        return rec

    return make
