"""NLU examples held out of training, to measure each new model on examples it never saw.

An assistant's training settings give the share (``nlu_holdout_percent``; 0, the default,
holds nothing out). Which examples are held out is decided by a hash of the intent and the
text, so the split stays the same from one training to the next (models are compared on the
same examples) and an example keeps its side when others are added. Intents with fewer than
``MIN_EXAMPLES`` examples are never held out, and every intent keeps at least one training
example, so the labels a model learns never depend on the split.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter

from training.engine.data import NluExample, TrainingData

MIN_EXAMPLES = 5


def is_held_out(example: NluExample, percent: int) -> bool:
    digest = hashlib.sha1(f"{example.intent}\n{example.text}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def split_nlu(data: TrainingData, percent: int) -> tuple[TrainingData, tuple[NluExample, ...]]:
    """``data`` without its held-out examples, and those examples."""
    if percent <= 0:
        return data, ()
    examples = data.nlu.examples
    sizes = Counter(example.intent for example in examples)
    out = {
        index
        for index, example in enumerate(examples)
        if sizes[example.intent] >= MIN_EXAMPLES and is_held_out(example, percent)
    }
    kept_per_intent = Counter(examples[i].intent for i in range(len(examples)) if i not in out)
    for index, example in enumerate(examples):  # an intent whose examples all fell out keeps one
        if index in out and kept_per_intent[example.intent] == 0:
            out.discard(index)
            kept_per_intent[example.intent] += 1
    train = tuple(example for index, example in enumerate(examples) if index not in out)
    held = tuple(examples[index] for index in sorted(out))
    nlu = dataclasses.replace(data.nlu, examples=train)
    return dataclasses.replace(data, nlu=nlu), held
