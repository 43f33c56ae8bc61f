"""Sparse features of one feature source, row-normalized and packed for the model.

Each row (a token, or the whole sentence) is scaled to unit L2 norm, so that a long message's
sentence counts weigh like a short one's (what TF-IDF normalization does for linear models).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from training.engine.messages import FloatArray, IntArray, SparseFeatures


@dataclass(frozen=True)
class SourceRows:
    """One message's features from one source, normalized; ``tok_rows`` index tokens."""

    tok_rows: IntArray
    tok_cols: IntArray
    tok_vals: FloatArray
    sent_cols: IntArray
    sent_vals: FloatArray

    @staticmethod
    def from_features(
        features: SparseFeatures | None, dim: int, n_tokens: int, idf: FloatArray | None = None
    ) -> SourceRows:
        if features is None:
            features = SparseFeatures.empty(dim)
        # every parse runs this per source: the selections and the sort are skipped when they
        # would change nothing (the usual case), as each costs more than its arithmetic
        rows, cols, vals = features.seq_rows, features.seq_cols, features.seq_vals
        keep = (cols < dim) & (rows < n_tokens)
        if not keep.all():
            rows, cols, vals = rows[keep], cols[keep], vals[keep]
        if rows.size > 1 and (rows[1:] < rows[:-1]).any():  # the model sums sorted rows
            order = np.argsort(rows, kind="stable")
            rows, cols, vals = rows[order], cols[order], vals[order]
        rows = rows.astype(np.int32, copy=False)
        cols = cols.astype(np.int32, copy=False)
        vals = vals.astype(np.float32, copy=False)
        if idf is not None:
            vals = vals * idf[cols]
        if rows.size:
            squares = np.bincount(rows, weights=vals.astype(np.float64) ** 2, minlength=n_tokens)
            norms = np.sqrt(squares)[rows]
            vals = (vals / np.maximum(norms, 1e-12)).astype(np.float32)
        sent_cols, sent_vals = features.sent_cols, features.sent_vals
        sent_keep = sent_cols < dim
        if not sent_keep.all():
            sent_cols, sent_vals = sent_cols[sent_keep], sent_vals[sent_keep]
        sent_cols = sent_cols.astype(np.int32, copy=False)
        sent_vals = sent_vals.astype(np.float32, copy=False)
        if idf is not None:
            sent_vals = sent_vals * idf[sent_cols]
        norm = float(np.sqrt(np.sum(sent_vals.astype(np.float64) ** 2)))
        if norm > 0:
            sent_vals = (sent_vals / norm).astype(np.float32)
        return SourceRows(rows, cols, vals, sent_cols, sent_vals)


@dataclass(frozen=True)
class EncodedText:
    """A message ready for the model: its token count and its rows from every source."""

    n_tokens: int
    sources: tuple[SourceRows, ...]


def encode_text(
    n_tokens: int,
    features: Sequence[SparseFeatures | None],
    dims: Sequence[int],
    idfs: Sequence[FloatArray | None] | None = None,
) -> EncodedText:
    n = max(n_tokens, 1)
    weights = idfs if idfs is not None else [None] * len(dims)
    rows = tuple(
        SourceRows.from_features(f, d, n, w)
        for f, d, w in zip(features, dims, weights, strict=True)
    )
    return EncodedText(n, rows)


@dataclass(frozen=True)
class PackedSource:
    """A batch's features from one source, flattened: token rows address ``b * T + t``."""

    tok_segments: IntArray
    tok_cols: IntArray
    tok_vals: FloatArray
    sent_segments: IntArray
    sent_cols: IntArray
    sent_vals: FloatArray


def pack_source(texts: Sequence[EncodedText], source: int, max_tokens: int) -> PackedSource:
    parts = [t.sources[source] for t in texts]
    tok_segments = np.concatenate(
        [p.tok_rows + b * max_tokens for b, p in enumerate(parts)] or [np.zeros(0, np.int32)]
    )
    sent_segments = np.concatenate(
        [np.full(p.sent_cols.size, b, dtype=np.int32) for b, p in enumerate(parts)]
    )
    return PackedSource(
        tok_segments.astype(np.int32),
        np.concatenate([p.tok_cols for p in parts]),
        np.concatenate([p.tok_vals for p in parts]),
        sent_segments,
        np.concatenate([p.sent_cols for p in parts]),
        np.concatenate([p.sent_vals for p in parts]),
    )


def inverse_document_frequency(
    items: Sequence[SparseFeatures], dim: int, known: FloatArray | None = None
) -> FloatArray:
    """Smoothed IDF of every column (from the sentence features): frequent, uninformative
    n-grams weigh less, as in TF-IDF. Columns in ``known`` keep their values (fine-tuning)."""
    counts = np.zeros(dim, dtype=np.float64)
    for item in items:
        cols = np.unique(item.sent_cols[item.sent_cols < dim])
        counts[cols] += 1
    idf = (np.log((1.0 + len(items)) / (1.0 + counts)) + 1.0).astype(np.float32)
    if known is not None:
        idf[: known.size] = known[:dim]
    return idf
