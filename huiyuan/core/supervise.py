"""Keep the background processes of ``huiyuan serve`` running: restart with backoff.

``huiyuan serve`` runs gunicorn plus the worker and the scheduler. When the worker or the
scheduler dies (``database is locked`` during a large batch on SQLite, an out-of-memory
kill…) the supervisor starts it again after a delay that doubles with each quick death —
1 s, 2 s, 4 s … at most a minute — and goes back to the shortest delay once a child has run
for a minute. Every death and restart is logged and counted; the counts are written to
``supervisor.json`` in the run directory, which ``/readyz`` and ``/metrics`` show.

The clock and the way a child is started are injected, so the policy is tested without
real processes or real waiting.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Process(Protocol):
    pid: int

    def poll(self) -> int | None: ...
    def terminate(self) -> None: ...
    def kill(self) -> None: ...
    def wait(self, timeout: float | None = None) -> int: ...


Spawn = Callable[[Sequence[str]], Process]


def _popen(argv: Sequence[str]) -> Process:
    return subprocess.Popen(list(argv))


@dataclass
class Child:
    name: str
    argv: list[str]
    process: Process | None = None
    state: str = "stopped"  # running, backoff, stopped
    started_at: float = 0.0
    restarts: int = 0
    quick_deaths: int = 0  # in a row, each sooner than ``stable_after`` after its start
    next_start_at: float | None = None
    last_exit: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "pid": self.process.pid if self.process is not None else None,
            "state": self.state,
            "restarts": self.restarts,
            "last_exit": self.last_exit,
        }


@dataclass
class Supervisor:
    children: list[Child]
    spawn: Spawn = _popen
    clock: Callable[[], float] = time.monotonic
    base_delay: float = 1.0
    max_delay: float = 60.0
    stable_after: float = 60.0
    on_change: Callable[[dict[str, Any]], None] | None = None
    stopping: bool = field(default=False, init=False)

    @classmethod
    def of(cls, commands: Mapping[str, Sequence[str]], **options: Any) -> Supervisor:
        return cls([Child(name, list(argv)) for name, argv in commands.items()], **options)

    def delay_after(self, quick_deaths: int) -> float:
        """How long to wait before a restart, after ``quick_deaths`` quick deaths in a row."""
        return float(min(self.max_delay, self.base_delay * 2 ** max(quick_deaths - 1, 0)))

    def state(self) -> dict[str, Any]:
        return {"children": {c.name: c.as_dict() for c in self.children}}

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.state())

    def _start(self, child: Child) -> None:
        child.process = self.spawn(child.argv)
        child.state, child.started_at, child.next_start_at = "running", self.clock(), None

    def start(self) -> None:
        for child in self.children:
            self._start(child)
        self._changed()

    def poll(self) -> None:
        """Notice the children that died; start again the ones whose delay has passed."""
        if self.stopping:
            return
        now = self.clock()
        changed = False
        for child in self.children:
            if child.state == "running" and child.process is not None:
                code = child.process.poll()
                if code is None:
                    continue
                ran = now - child.started_at
                child.quick_deaths = child.quick_deaths + 1 if ran < self.stable_after else 1
                delay = self.delay_after(child.quick_deaths)
                child.state, child.last_exit = "backoff", code
                child.next_start_at = now + delay
                log.warning(
                    "%s exited with code %s after %.1f s; restarting in %.0f s",
                    child.name,
                    code,
                    ran,
                    delay,
                )
                changed = True
            if (
                child.state == "backoff"
                and child.next_start_at is not None
                and now >= child.next_start_at
            ):
                self._start(child)
                child.restarts += 1
                log.warning("%s restarted (restart %d)", child.name, child.restarts)
                changed = True
        if changed:
            self._changed()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every child to end; kill the ones still there after ``timeout``."""
        self.stopping = True
        running = [c for c in self.children if c.process is not None and c.state == "running"]
        for child in running:
            if child.process is not None and child.process.poll() is None:
                child.process.terminate()
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(timeout)
            except subprocess.TimeoutExpired:
                child.process.kill()
            child.state = "stopped"
        self._changed()
