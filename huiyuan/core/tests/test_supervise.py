"""The supervisor of ``huiyuan serve``: a dead worker or scheduler comes back, with backoff.

Fake children and a fake clock: no process is started and nothing sleeps."""

from __future__ import annotations

import logging
import subprocess

import pytest

from huiyuan.core.readiness import supervisor_read, supervisor_write
from huiyuan.core.supervise import Supervisor


class FakeProcess:
    pids = iter(range(1000, 100000))

    def __init__(self, argv):
        self.argv = list(argv)
        self.pid = next(self.pids)
        self.code: int | None = None
        self.terminated = self.killed = False
        self.ignores_terminate = False

    def poll(self):
        return self.code

    def die(self, code: int = 1) -> None:
        self.code = code

    def terminate(self) -> None:
        self.terminated = True
        if not self.ignores_terminate:
            self.code = -15

    def kill(self) -> None:
        self.killed = True
        self.code = -9

    def wait(self, timeout=None):
        if self.code is None:
            raise subprocess.TimeoutExpired(self.argv, timeout)
        return self.code


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def rig():
    clock = Clock()
    spawned: list[FakeProcess] = []
    states: list[dict] = []

    def spawn(argv):
        process = FakeProcess(argv)
        spawned.append(process)
        return process

    supervisor = Supervisor.of(
        {"worker": ["huiyuan", "worker"], "scheduler": ["huiyuan", "scheduler"]},
        spawn=spawn,
        clock=clock,
        on_change=states.append,
    )
    return supervisor, clock, spawned, states


def child(supervisor, name):
    return next(c for c in supervisor.children if c.name == name)


def run_for(supervisor, clock, seconds: float, step: float = 0.5) -> None:
    """The serve loop: poll, sleep, for ``seconds`` of fake time."""
    end = clock.now + seconds
    while clock.now < end:
        supervisor.poll()
        clock.sleep(step)


def test_a_dead_worker_is_restarted_after_a_doubling_delay(rig, caplog):
    supervisor, clock, spawned, states = rig
    supervisor.start()
    assert [p.argv[-1] for p in spawned] == ["worker", "scheduler"]
    caplog.set_level(logging.WARNING, logger="huiyuan.core.supervise")

    restarted_at = []
    for _ in range(5):  # dies again 2 s after each start: quick deaths in a row
        clock.sleep(2)
        child(supervisor, "worker").process.die(1)
        died_at = clock.now
        before = len(spawned)
        while len(spawned) == before:
            supervisor.poll()
            clock.sleep(0.25)
        restarted_at.append(clock.now - 0.25 - died_at)
    # 1, 2, 4, 8, 16 seconds (polled every 0.25 s).
    assert restarted_at == [1.0, 2.0, 4.0, 8.0, 16.0]
    worker = child(supervisor, "worker")
    assert worker.restarts == 5 and worker.last_exit == 1 and worker.state == "running"
    assert child(supervisor, "scheduler").restarts == 0
    assert [p.argv[-1] for p in spawned] == ["worker", "scheduler"] + ["worker"] * 5
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "worker exited with code 1 after 2.0 s; restarting in 1 s"
    assert [m.rsplit("restarting in ", 1)[1] for m in messages if "exited" in m] == [
        "1 s",
        "2 s",
        "4 s",
        "8 s",
        "16 s",
    ]
    assert messages[-1] == "worker restarted (restart 5)"
    assert states[-1]["children"]["worker"] == {
        "pid": spawned[-1].pid,
        "state": "running",
        "restarts": 5,
        "last_exit": 1,
    }


def test_the_delay_stops_at_a_minute_and_resets_after_a_stable_run(rig):
    supervisor, clock, _, _ = rig
    assert [supervisor.delay_after(n) for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    supervisor.start()
    worker = child(supervisor, "worker")
    for _ in range(3):  # dies as soon as it starts
        worker.process.die(1)
        run_for(supervisor, clock, 5)
    assert worker.quick_deaths == 3 and worker.restarts == 3
    worker.process.die(1)
    supervisor.poll()
    assert worker.next_start_at == clock.now + 8.0
    run_for(supervisor, clock, 70)  # restarted, then runs for a minute and more
    assert worker.state == "running" and worker.restarts == 4
    worker.process.die(1)
    supervisor.poll()
    assert worker.next_start_at == clock.now + 1.0
    assert worker.quick_deaths == 1


def test_a_child_in_backoff_is_not_restarted_early(rig):
    supervisor, clock, spawned, _ = rig
    supervisor.start()
    worker = child(supervisor, "worker")
    worker.process.die(3)
    run_for(supervisor, clock, 0.9, step=0.3)
    assert worker.state == "backoff" and len(spawned) == 2
    run_for(supervisor, clock, 0.3, step=0.3)
    assert worker.state == "running" and len(spawned) == 3


def test_stop_terminates_then_kills_and_nothing_restarts(rig):
    supervisor, _, spawned, states = rig
    supervisor.start()
    stubborn = child(supervisor, "scheduler").process
    stubborn.ignores_terminate = True
    supervisor.stop(timeout=0)
    assert all(p.terminated for p in spawned)
    assert stubborn.killed and not child(supervisor, "worker").process.killed
    supervisor.poll()
    assert len(spawned) == 2  # no restart while stopping
    assert {c["state"] for c in states[-1]["children"].values()} == {"stopped"}


def test_state_file_round_trip(tmp_path, rig):
    supervisor, *_ = rig
    supervisor.start()
    supervisor_write(supervisor.state(), tmp_path)
    assert supervisor_read(tmp_path) == supervisor.state()
    assert supervisor_read(tmp_path / "nowhere") == {}
