"""The REST webhook's pool: threads take a place in the turn gate before a request, requests run
in the order they came, and turns outside the pool or back from an action server get in."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from training.bots.turn_pool import TurnPool
from training.serving import TurnGate

WAIT_S = 10.0  # only a bound on a hang; the events decide


def until(condition: object, timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.001)
    return False


@pytest.fixture
def gate() -> TurnGate:
    return TurnGate(width=1)


@pytest.fixture
def pool(gate: TurnGate) -> Iterator[TurnPool]:
    pool = TurnPool(4, gate, name="test-pool")
    yield pool
    pool.shutdown()


def test_given_requests_when_submitted_then_they_run_one_at_a_time_in_order(
    pool: TurnPool, gate: TurnGate
) -> None:
    ran: list[int] = []
    inside = [0]

    def request(n: int) -> int:
        with gate.turn():  # as the webhook's turn does: in the place the thread holds
            inside[0] += 1
            assert inside[0] == 1
            ran.append(n)
            inside[0] -= 1
        return n * n

    futures = [pool.submit(request, n) for n in range(40)]

    assert [f.result(timeout=WAIT_S) for f in futures] == [n * n for n in range(40)]
    assert ran == list(range(40))


def test_given_a_request_waiting_on_its_action_server_then_the_next_one_runs_meanwhile(
    pool: TurnPool, gate: TurnGate
) -> None:
    answered = threading.Event()
    order: list[str] = []

    def slow() -> None:
        with gate.turn(), gate.waiting():
            order.append("slow waits")
            answered.wait(timeout=WAIT_S)
        order.append("slow done")

    def quick() -> None:
        with gate.turn():
            order.append("quick")

    first = pool.submit(slow)
    assert until(lambda: order == ["slow waits"])
    pool.submit(quick).result(timeout=WAIT_S)  # not held up by the slow action server
    answered.set()
    first.result(timeout=WAIT_S)

    assert order == ["slow waits", "quick", "slow done"]


def test_given_a_turn_outside_the_pool_when_it_waits_then_it_goes_before_the_queued_requests(
    pool: TurnPool, gate: TurnGate
) -> None:
    order: list[str] = []
    release = threading.Event()

    def request(name: str) -> None:
        with gate.turn():
            order.append(name)
            if name == "first":
                release.wait(timeout=WAIT_S)

    def websocket_turn() -> None:
        with gate.turn():
            order.append("outside")

    futures = [pool.submit(request, "first")]
    assert until(lambda: order == ["first"])
    futures += [pool.submit(request, name) for name in ("second", "third")]
    outside = threading.Thread(target=websocket_turn, daemon=True)
    outside.start()
    assert until(gate.turns_waiting)
    release.set()
    for future in futures:
        future.result(timeout=WAIT_S)
    outside.join(timeout=WAIT_S)

    assert order == ["first", "outside", "second", "third"]


def test_given_a_width_of_two_then_two_requests_run_at_once() -> None:
    pool = TurnPool(4, TurnGate(width=2), name="test-pool-2")
    both_in = threading.Barrier(2, timeout=WAIT_S)

    futures = [pool.submit(both_in.wait) for _ in range(2)]

    assert sorted(f.result(timeout=WAIT_S) for f in futures) == [0, 1]
    pool.shutdown()


def test_given_a_failing_request_then_its_future_holds_the_error_and_the_pool_goes_on(
    pool: TurnPool,
) -> None:
    def fail() -> None:
        raise ValueError("bad request")

    failed = pool.submit(fail)

    with pytest.raises(ValueError, match="bad request"):
        failed.result(timeout=WAIT_S)
    assert pool.submit(lambda: "next").result(timeout=WAIT_S) == "next"


def test_given_a_chore_then_every_thread_runs_it_once(pool: TurnPool) -> None:
    ran_on: list[str] = []
    pool.submit(lambda: None).result(timeout=WAIT_S)

    pool.on_every_thread(lambda: ran_on.append(threading.current_thread().name))

    assert sorted(ran_on) == sorted(thread.name for thread in pool.threads)
    assert pool.submit(lambda: "after").result(timeout=WAIT_S) == "after"


def test_given_idle_threads_when_requests_come_one_by_one_then_the_last_idle_thread_takes_each(
    pool: TurnPool,
) -> None:
    names: list[str] = []
    assert until(lambda: pool.idle_threads == 4)

    for _ in range(12):
        pool.submit(lambda: names.append(threading.current_thread().name)).result(WAIT_S)
        assert until(lambda: pool.idle_threads == 4)  # back to waiting

    assert len(set(names)) == 1  # (woken longest-idle first, the four took turns)
