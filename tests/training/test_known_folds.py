"""``KnownFolds``: a conversation's fold taken up from where the process left it, always the
same state as folding the whole history again."""

from __future__ import annotations

import dataclasses
from typing import Any

from annotation.tracker import TrackerState, tracker_fold
from training.runtime.folds import KnownFolds

DEFAULTS = {"city": None, "count": 0}


def _session() -> list[dict[str, Any]]:
    return [
        {"event": "action", "name": "action_session_start", "timestamp": 1.0},
        {"event": "session_started", "timestamp": 1.0},
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {
            "event": "user",
            "text": "concerts in Lyon",
            "timestamp": 2.0,
            "parse_data": {"intent": {"name": "search", "confidence": 0.9}, "entities": []},
        },
        {"event": "slot", "name": "city", "value": "Lyon", "timestamp": 2.0},
        {"event": "action", "name": "action_search", "timestamp": 2.1},
        {"event": "slot", "name": "count", "value": ["a", "b"], "timestamp": 2.1},
        {"event": "action", "name": "action_listen", "timestamp": 2.2},
    ]


def _later() -> list[dict[str, Any]]:
    return [
        {
            "event": "user",
            "text": "no",
            "timestamp": 3.0,
            "parse_data": {"intent": {"name": "deny"}},
        },
        {"event": "rewind", "timestamp": 3.1},
        {"event": "active_loop", "name": "search_form", "timestamp": 3.2},
        {"event": "reset_slots", "timestamp": 3.3},
        {"event": "slot", "name": "city", "value": "Paris", "timestamp": 3.4},
    ]


def _fields(state: TrackerState) -> dict[str, Any]:
    return dataclasses.asdict(state)


def test_given_a_known_prefix_when_folding_more_then_it_is_the_fold_from_scratch() -> None:
    folds = KnownFolds(max_events=100)
    session = _session()
    folds.fold("ada", session, DEFAULTS)

    for extra in range(len(_later()) + 1):
        history = [*session, *_later()[:extra]]
        got = folds.fold("ada", history, DEFAULTS)
        assert _fields(got) == _fields(tracker_fold(history, slot_defaults=DEFAULTS))


def test_given_a_restart_after_the_known_prefix_when_folding_then_it_starts_over() -> None:
    folds = KnownFolds(max_events=100)
    session = _session()
    folds.fold("ada", session, DEFAULTS)
    history = [*session, {"event": "restart", "timestamp": 4.0}]

    got = folds.fold("ada", history, DEFAULTS)

    assert _fields(got) == _fields(tracker_fold(history, slot_defaults=DEFAULTS))
    assert got.slots == DEFAULTS and len(got.applied) == 1


def test_given_a_returned_state_changed_when_folding_again_then_the_kept_fold_is_untouched() -> (
    None
):
    folds = KnownFolds(max_events=100)
    session = _session()
    first = folds.fold("ada", session, DEFAULTS)
    first.apply({"event": "slot", "name": "city", "value": "Rome"})  # as a turn adds its events
    first.slots["count"].append("c")  # a list value changed in place

    again = folds.fold("ada", session, DEFAULTS)

    assert again.slots == {"city": "Lyon", "count": ["a", "b"]}
    assert len(again.applied) == len(tracker_fold(session, slot_defaults=DEFAULTS).applied)


def test_given_other_objects_or_defaults_when_folding_then_nothing_known_is_taken_up() -> None:
    folds = KnownFolds(max_events=100)
    session = _session()
    folds.fold("ada", session, DEFAULTS)
    session[4]["value"] = "Oslo"  # recorded events never change: a changed one goes unseen

    assert folds.fold("ada", session, DEFAULTS).slots["city"] == "Lyon"  # the kept fold
    assert folds.fold("ada", _session(), DEFAULTS).slots["city"] == "Lyon"  # equal, new objects
    copied = [dict(e) for e in session]  # equal content, other objects: folded from scratch
    assert folds.fold("ada", copied, DEFAULTS).slots["city"] == "Oslo"
    other_defaults = {**DEFAULTS, "vip": False}
    assert folds.fold("ada", session, other_defaults).slots == {
        "city": "Oslo",
        "count": ["a", "b"],
        "vip": False,
    }


def test_given_more_events_than_it_holds_then_the_least_recent_folds_are_forgotten() -> None:
    folds = KnownFolds(max_events=2 * len(_session()))
    for sender in ("a", "b", "c"):
        folds.fold(sender, _session(), DEFAULTS)
    assert len(folds) == 2

    folds.fold("d", [*_session(), *_session(), *_session()], DEFAULTS)  # too long to keep
    assert len(folds) == 2
