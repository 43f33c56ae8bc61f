"""The serving gate: one turn at a time per process, opened while waiting on an action server."""

from __future__ import annotations

import threading

from training.serving import TurnGate

WAIT_S = 10.0  # only a bound on a hang; the events decide


def _in_other_thread(gate: TurnGate, inside: threading.Event) -> threading.Thread:
    def run() -> None:
        with gate.turn():
            inside.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_given_a_turn_when_another_thread_starts_one_then_it_waits_for_the_first() -> None:
    gate = TurnGate(width=1)
    inside = threading.Event()

    with gate.turn():
        thread = _in_other_thread(gate, inside)
        thread.join(timeout=0.2)
        entered_during = inside.is_set()
    thread.join(timeout=WAIT_S)

    assert not entered_during
    assert inside.is_set()


def test_given_a_turn_when_it_waits_on_the_action_server_then_another_turn_runs() -> None:
    gate = TurnGate(width=1)
    inside = threading.Event()

    with gate.turn():
        with gate.waiting():
            thread = _in_other_thread(gate, inside)
            entered = inside.wait(timeout=WAIT_S)
            thread.join(timeout=WAIT_S)
        # the gate is closed again: a third turn waits
        late = threading.Event()
        third = _in_other_thread(gate, late)
        third.join(timeout=0.2)
        entered_late = late.is_set()
    third.join(timeout=WAIT_S)

    assert entered
    assert not entered_late
    assert late.is_set()


def test_given_a_turn_when_a_nested_turn_starts_in_the_same_thread_then_it_does_not_block() -> None:
    gate = TurnGate(width=1)
    ran = []

    with gate.turn():
        with gate.turn():
            ran.append("nested")
        with gate.waiting():
            ran.append("waiting")
    with gate.waiting():  # outside any turn: nothing to open
        ran.append("outside")

    assert ran == ["nested", "waiting", "outside"]


def test_given_a_width_of_two_when_three_turns_start_then_two_run_and_the_third_waits() -> None:
    gate = TurnGate(width=2)
    second, leave, third = threading.Event(), threading.Event(), threading.Event()

    def stay() -> None:
        with gate.turn():
            second.set()
            leave.wait(timeout=WAIT_S)

    with gate.turn():
        other = threading.Thread(target=stay, daemon=True)
        other.start()
        assert second.wait(timeout=WAIT_S)  # in beside the first
        late = _in_other_thread(gate, third)
        late.join(timeout=0.2)
        entered_late = third.is_set()  # both places are taken until someone leaves
        leave.set()
    late.join(timeout=WAIT_S)
    other.join(timeout=WAIT_S)

    assert not entered_late
    assert third.is_set()
