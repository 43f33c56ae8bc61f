"""The parts of the training data a node learns from, hashed (memoized per data object).

Hashing 100,000 NLU examples takes a noticeable fraction of a second, and every node of a
pipeline asks for the same hash, so the last few results are kept by object identity (with a
reference to the object, so that its id cannot be reused while it is remembered).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from training.engine.data import TrainingData, fingerprint_of

_REMEMBERED = 4  # two parts of two data sets: old data sets are not kept alive
_memo: dict[tuple[str, int], tuple[TrainingData, str]] = {}
_lock = threading.Lock()


def nlu_data_fingerprint(data: TrainingData) -> str:
    """What NLU components learn from: the NLU data and the language."""
    return _memoized(
        "nlu", data, lambda: {"nlu": asdict(data.nlu), "language": data.config.language}
    )


def dialogue_data_fingerprint(data: TrainingData) -> str:
    """What dialogue policies learn from: the domain and the stories (rules included)."""
    return _memoized(
        "dialogue",
        data,
        lambda: {"domain": asdict(data.domain), "stories": [asdict(s) for s in data.stories]},
    )


def _memoized(part: str, data: TrainingData, payload: Callable[[], Any]) -> str:
    key = (part, id(data))
    with _lock:
        found = _memo.get(key)
        if found is not None and found[0] is data:
            return found[1]
    digest = fingerprint_of(payload())
    with _lock:
        if len(_memo) >= _REMEMBERED:
            _memo.pop(next(iter(_memo)))
        _memo[key] = (data, digest)
    return digest
