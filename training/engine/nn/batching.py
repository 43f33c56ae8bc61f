"""Batches for training: Rasa's linearly growing batch size, and packing examples into the
tensors of the model's input signature."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from training.engine.nn.diet_model import ModelSpec
from training.engine.nn.sparse_input import EncodedText, pack_source

PAD_TOKENS = 8


@dataclass(frozen=True)
class TrainingExample:
    text: EncodedText
    intent: int = 0  # label id (unused without an intent head)
    tags: dict[str, list[int]] = field(default_factory=dict)  # per tag head, one id per token


def batch_size_for_epoch(batch_size: int | Sequence[int], epoch: int, epochs: int) -> int:
    """``[low, high]`` grows linearly from the first epoch to the last (Rasa's schedule)."""
    if isinstance(batch_size, int):
        return max(1, batch_size)
    sizes = [int(s) for s in batch_size]
    if len(sizes) == 1 or epochs <= 1:
        return max(1, sizes[0])
    low, high = max(1, sizes[0]), max(1, sizes[-1])
    grown = int(low + (high - low) * epoch / (epochs - 1))
    # whole multiples of the first size: a handful of distinct batch shapes per run, since the
    # math libraries keep buffers per shape and a new size every epoch adds up to gigabytes
    return high if grown >= high else max(low, grown // low * low)


def make_batch(
    spec: ModelSpec, examples: Sequence[TrainingExample], seed: tuple[int, int]
) -> dict[str, Any]:
    texts = [e.text for e in examples]
    # padded to a multiple of PAD_TOKENS: few distinct shapes, so the math libraries' per-shape
    # caches (oneDNN primitives, scratch buffers) stay small over a training run
    longest = max(t.n_tokens for t in texts)
    max_tokens = -(-longest // PAD_TOKENS) * PAD_TOKENS
    count = len(texts)
    mask = np.zeros((count, max_tokens), dtype=np.float32)
    for b, text in enumerate(texts):
        mask[b, : text.n_tokens] = 1.0
    batch: dict[str, Any] = {"mask": mask, "seed": np.asarray(seed, dtype=np.int32)}
    last_row = np.asarray([count * max_tokens + count - 1], dtype=np.int32)
    for i in range(len(spec.sources)):
        packed = pack_source(texts, i, max_tokens)
        # sorted segment ids: token rows, then one sentence row per message, then a zero entry
        # on the last row so that the model's segment sum always yields every row
        batch[f"source{i}.segments"] = np.concatenate(
            [packed.tok_segments, packed.sent_segments + count * max_tokens, last_row]
        ).astype(np.int32)
        batch[f"source{i}.cols"] = np.concatenate(
            [packed.tok_cols, packed.sent_cols, np.zeros(1, np.int32)]
        )
        batch[f"source{i}.vals"] = np.concatenate(
            [packed.tok_vals, packed.sent_vals, np.zeros(1, np.float32)]
        )
    if spec.n_intents:
        batch["intent"] = np.asarray([e.intent for e in examples], dtype=np.int32)
    for head, _ in spec.tag_heads:
        tags = np.zeros((count, max_tokens), dtype=np.int32)
        for b, example in enumerate(examples):
            ids = example.tags.get(head, [])[:max_tokens]
            tags[b, : len(ids)] = ids
        batch[f"tags.{head}"] = tags
    return batch
