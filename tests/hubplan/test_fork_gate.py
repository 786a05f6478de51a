"""hubplan.jobs.ForkGate: a background job is forked only while no other thread is working, so
the child never inherits a lock another thread held (C libraries' locks cannot be renewed after
a fork: PROJ's, through pyproj, hung planner jobs started while a request was inside it)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from hubplan.jobs import ForkGate


def _worker(gate: ForkGate, lock: threading.Lock, inside: threading.Event, hold_s: float):
    gate.enter()
    try:
        with lock:  # stands for a C library's lock, held while the thread works
            inside.set()
            time.sleep(hold_s)
    finally:
        gate.leave()


def _child_can_take(lock: threading.Lock) -> bool:
    """Fork; the child tries ``lock`` for 2 s and reports by its exit code."""
    pid = os.fork()
    if pid == 0:  # the child: take the lock or give up
        os._exit(0 if lock.acquire(timeout=2) else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("gated", [True, False])
def test_a_fork_waits_for_work_in_flight(gated):
    gate, lock, inside = ForkGate(wait_s=30), threading.Lock(), threading.Event()
    worker = threading.Thread(target=_worker, args=(gate, lock, inside, 0.5))
    worker.start()
    assert inside.wait(10)
    if gated:
        with gate.alone():
            assert gate.active == 0
            ok = _child_can_take(lock)
    else:  # the same fork without the gate inherits the held lock: the case the gate prevents
        ok = _child_can_take(lock)
    worker.join()
    assert ok is gated


def test_new_work_waits_while_a_fork_holds_the_gate():
    gate = ForkGate(wait_s=30)
    started = threading.Event()
    with gate.alone():
        t = threading.Thread(target=lambda: (gate.enter(), started.set(), gate.leave()))
        t.start()
        assert not started.wait(0.3)  # held back while the fork is under way
    assert started.wait(10)
    t.join()
    assert gate.active == 0


def test_the_forking_threads_own_work_does_not_count():
    gate = ForkGate(wait_s=30)
    gate.enter()
    gate.enter()  # nested: counted once
    assert gate.active == 1
    t0 = time.monotonic()
    with gate.alone():  # would wait wait_s if its own request counted
        pass
    assert time.monotonic() - t0 < 5
    assert gate.active == 1
    gate.leave()
    gate.leave()
    gate.leave()  # unbalanced leave is harmless
    assert gate.active == 0


def test_a_thread_that_died_inside_cannot_shut_the_gate():
    """Test servers stop by raising SystemExit into every thread they started: a thread that
    dies after entering, or in the middle of a fork, must not leave the gate shut."""
    gate = ForkGate(wait_s=30)
    entered = threading.Thread(target=gate.enter)  # enters, never leaves, dies
    entered.start()
    entered.join()

    def fork_and_die():
        cm = gate.alone()
        cm.__enter__()  # holds the gate alone ... and the thread ends without leaving it

    forker = threading.Thread(target=fork_and_die)
    forker.start()
    forker.join()
    t0 = time.monotonic()
    gate.enter()  # neither dead thread keeps this one waiting
    gate.leave()
    with gate.alone():
        pass
    assert time.monotonic() - t0 < 5 and gate.active == 0


def test_a_stuck_thread_delays_the_fork_only_up_to_the_limit(caplog):
    gate, lock, inside = ForkGate(wait_s=0.2), threading.Lock(), threading.Event()
    worker = threading.Thread(target=_worker, args=(gate, lock, inside, 1.5))
    worker.start()
    assert inside.wait(10)
    with caplog.at_level("WARNING", logger="hubplan.jobs"), gate.alone():
        pass
    worker.join()
    assert "still work" in caplog.text


def test_requests_hold_their_apps_gate():
    from hubplan.jobs import fork_gate
    from hubplan.web import create_app

    app, other = create_app(), create_app()
    gate = fork_gate(app.server)
    assert gate is not None and gate is not fork_gate(other.server)  # one gate per app
    seen = []

    @app.server.route("/_gate-probe")
    def probe():
        seen.append(gate.active)
        return "ok"

    client = app.server.test_client()
    assert client.get("/_gate-probe").status_code == 200
    assert seen == [1]
    assert gate.active == 0


def _finish_then_linger(gate: ForkGate, lock: threading.Lock, left: threading.Event, s: float):
    """Work, leave the gate, then hold ``lock`` a while longer before the thread ends: as a
    request thread's end frees PROJ's per-thread context under SQLite's lock."""
    gate.enter()
    gate.leave()
    with lock:
        left.set()
        time.sleep(s)


def test_a_fork_waits_for_a_thread_that_just_finished_to_end():
    gate, lock, left = ForkGate(wait_s=30, settle_s=10), threading.Lock(), threading.Event()
    t = threading.Thread(target=_finish_then_linger, args=(gate, lock, left, 0.5))
    t.start()
    assert left.wait(10)
    start = time.monotonic()
    with gate.alone():
        assert not t.is_alive()  # the fork went ahead only once the thread had ended
        ok = _child_can_take(lock)
    assert ok and time.monotonic() - start < 5
    t.join()


def test_a_pool_thread_that_stays_alive_counts_only_until_it_settles():
    gate, stop = ForkGate(wait_s=30, settle_s=0.3), threading.Event()
    done = threading.Event()

    def pool_thread():  # serves one request, then idles, as gunicorn's gthread workers do
        gate.enter()
        gate.leave()
        done.set()
        stop.wait(30)

    t = threading.Thread(target=pool_thread)
    t.start()
    assert done.wait(10)
    start = time.monotonic()
    with gate.alone():
        waited = time.monotonic() - start
    stop.set()
    t.join()
    assert 0.1 < waited < 5, waited
