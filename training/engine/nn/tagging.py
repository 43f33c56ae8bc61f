"""Entity tags per token: BILOU (Begin, Inside, Last, Unit, Outside) or plain IO tags.

A ``TagScheme`` maps labels (entity types, roles or groups) to tag ids; id 0 is always ``O``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from training.engine.messages import Token

OUTSIDE = "O"
BILOU_PREFIXES = ("B", "I", "L", "U")
FORBIDDEN = -1e4  # a transition penalty no learned score can outweigh


@dataclass(frozen=True)
class LabeledSpan:
    """A labeled run of tokens: ``first`` and ``last`` token indices, inclusive."""

    first: int
    last: int
    label: str


@dataclass(frozen=True)
class TagScheme:
    labels: tuple[str, ...]
    bilou: bool = True

    @property
    def tags(self) -> tuple[str, ...]:
        if not self.bilou:
            return (OUTSIDE, *self.labels)
        return (OUTSIDE, *(f"{p}-{label}" for label in self.labels for p in BILOU_PREFIXES))

    @property
    def size(self) -> int:
        return len(self.tags)

    def transition_penalties(self) -> npt.NDArray[np.float32]:
        """[K, K] additive penalties on tag transitions (from row to column): 0 where BILOU
        allows the pair, ``FORBIDDEN`` where it doesn't (``B-x``/``I-x`` must go on with
        ``I-x``/``L-x``; anything else must be followed by ``O``, ``B-y`` or ``U-y``). IO tags
        allow everything. With them, the CRF only ever scores and decodes well-formed spans."""
        size = self.size
        penalties = np.zeros((size, size), dtype=np.float32)
        if not self.bilou:
            return penalties
        prefixes = [""] + [p for _ in self.labels for p in BILOU_PREFIXES]
        labels = [""] + [label for label in self.labels for _ in BILOU_PREFIXES]
        for a in range(size):
            for b in range(size):
                if prefixes[a] in ("B", "I"):
                    ok = prefixes[b] in ("I", "L") and labels[b] == labels[a]
                else:
                    ok = prefixes[b] in ("", "B", "U")
                if not ok:
                    penalties[a, b] = FORBIDDEN
        return penalties

    def encode(self, spans: Sequence[LabeledSpan], n_tokens: int) -> list[int]:
        """Tag ids for ``n_tokens`` tokens; later spans never overwrite earlier ones."""
        ids = [0] * n_tokens
        index = {label: i for i, label in enumerate(self.labels)}
        for span in spans:
            if span.label not in index or span.first > span.last or span.last >= n_tokens:
                continue
            if any(ids[i] for i in range(span.first, span.last + 1)):
                continue
            label_id = index[span.label]
            for i in range(span.first, span.last + 1):
                ids[i] = self._tag_id(label_id, span, i)
        return ids

    def _tag_id(self, label_id: int, span: LabeledSpan, position: int) -> int:
        if not self.bilou:
            return 1 + label_id
        if span.first == span.last:
            prefix = 3
        elif position == span.first:
            prefix = 0
        elif position == span.last:
            prefix = 2
        else:
            prefix = 1
        return 1 + 4 * label_id + prefix

    def decode(self, ids: Sequence[int]) -> list[LabeledSpan]:
        """Spans from tag ids, leniently: an ``I``/``L`` without its ``B`` still opens a span."""
        spans: list[LabeledSpan] = []
        open_first: int | None = None
        open_label: str | None = None

        def close(last: int) -> None:
            nonlocal open_first, open_label
            if open_first is not None and open_label is not None:
                spans.append(LabeledSpan(open_first, last, open_label))
            open_first, open_label = None, None

        for i, tag_id in enumerate(ids):
            if tag_id <= 0:
                close(i - 1)
                continue
            if not self.bilou:
                label = self.labels[tag_id - 1]
                if open_label != label:
                    close(i - 1)
                    open_first, open_label = i, label
                continue
            label = self.labels[(tag_id - 1) // 4]
            prefix = BILOU_PREFIXES[(tag_id - 1) % 4]
            if prefix in ("B", "U") or open_label != label:
                close(i - 1)
                open_first, open_label = i, label
            if prefix in ("L", "U"):
                close(i)
        close(len(ids) - 1)
        return spans


def token_span(tokens: Sequence[Token], start: int, end: int) -> tuple[int, int] | None:
    """First and last index of the tokens overlapping the characters ``[start, end)``."""
    inside = [i for i, t in enumerate(tokens) if t.start < end and t.end > start]
    if not inside:
        return None
    return inside[0], inside[-1]
