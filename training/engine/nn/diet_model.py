"""The DIET network: sparse inputs per feature source, a small transformer over a sentence
(CLS) token and the message's tokens, intents by similarity to label embeddings, entity tags
(and roles, groups) by linear-chain CRFs.

Variables are plain ``tf.Variable``s in a dict keyed by stable names, so the weights persist as
one ``.npz`` and load whatever Keras version runs. Training runs in one ``tf.function`` with a
fixed input signature; inference on a single message runs the same forward pass in NumPy,
which for one short sequence is far faster than a TensorFlow call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import tensorflow as tf

from training.engine.messages import SparseFeatures
from training.engine.nn.crf import crf_log_likelihood
from training.engine.nn.sparse_input import EncodedText

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]
LAYER_NORM_EPSILON = 1e-5
NEG_INF = -1e9


@dataclass(frozen=True)
class ModelSpec:
    sources: tuple[tuple[str, int], ...]  # (featurizer node, feature dim), in input order
    units: int = 128  # transformer size
    layers: int = 1
    heads: int = 4
    hidden_sizes: tuple[int, ...] = ()  # dense layers between the sparse inputs and transformer
    embedding_dim: int = 20
    n_intents: int = 0  # 0: no intent head
    tag_heads: tuple[tuple[str, int], ...] = ()  # ("entity"|"role"|"group", number of tags)
    max_positions: int = 128
    label_smoothing: float = 0.1

    @property
    def input_units(self) -> int:
        return self.hidden_sizes[0] if self.hidden_sizes else self.units

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(raw: dict[str, Any]) -> ModelSpec:
        return ModelSpec(
            sources=tuple((str(s), int(d)) for s, d in raw["sources"]),
            units=int(raw["units"]),
            layers=int(raw["layers"]),
            heads=int(raw["heads"]),
            hidden_sizes=tuple(int(h) for h in raw["hidden_sizes"]),
            embedding_dim=int(raw["embedding_dim"]),
            n_intents=int(raw["n_intents"]),
            tag_heads=tuple((str(h), int(k)) for h, k in raw["tag_heads"]),
            max_positions=int(raw["max_positions"]),
            label_smoothing=float(raw["label_smoothing"]),
        )


@dataclass(frozen=True)
class Prediction:
    intent_scores: FloatArray | None  # similarities to every intent label
    potentials: dict[str, FloatArray]  # per tag head: [n_tokens, n_tags]
    transitions: dict[str, FloatArray]


def input_weight_name(source: str) -> str:
    return f"input.{source}"


def idf_name(source: str) -> str:
    return f"idf.{source}"  # fixed, not trained


def transition_penalty_name(head: str) -> str:
    return f"fixed.{head}.transition_penalties"  # fixed, not trained


FIXED_PREFIXES = ("idf.", "fixed.")


def initial_weights(spec: ModelSpec, seed: int) -> dict[str, FloatArray]:
    rng = np.random.default_rng(seed)

    def glorot(rows: int, cols: int) -> FloatArray:
        limit = math.sqrt(6.0 / (rows + cols))
        return rng.uniform(-limit, limit, size=(rows, cols)).astype(np.float32)

    def zeros(*shape: int) -> FloatArray:
        return np.zeros(shape, dtype=np.float32)

    def ones(*shape: int) -> FloatArray:
        return np.ones(shape, dtype=np.float32)

    w: dict[str, FloatArray] = {}
    for source, dim in spec.sources:
        w[input_weight_name(source)] = glorot(dim, spec.input_units) * 0.5
    w["input.bias"] = zeros(spec.input_units)
    sizes = [*spec.hidden_sizes, spec.units] if spec.hidden_sizes else []
    for i in range(len(sizes) - 1):
        w[f"hidden{i}.kernel"] = glorot(sizes[i], sizes[i + 1])
        w[f"hidden{i}.bias"] = zeros(sizes[i + 1])
    w["cls.bias"] = rng.normal(0, 0.02, spec.units).astype(np.float32)
    w["positions"] = rng.normal(0, 0.02, (spec.max_positions, spec.units)).astype(np.float32)
    u = spec.units
    for layer in range(spec.layers):
        p = f"layer{layer}."
        for name in ("ln1", "ln2"):
            w[p + name + ".gamma"], w[p + name + ".beta"] = ones(u), zeros(u)
        for name in ("query", "key", "value", "output"):
            w[p + name] = glorot(u, u)
        w[p + "ffn1.kernel"], w[p + "ffn1.bias"] = glorot(u, 2 * u), zeros(2 * u)
        w[p + "ffn2.kernel"], w[p + "ffn2.bias"] = glorot(2 * u, u), zeros(u)
    w["final_ln.gamma"], w["final_ln.beta"] = ones(u), zeros(u)
    if spec.n_intents:
        w["intent.kernel"] = glorot(u, spec.embedding_dim)
        w["intent.bias"] = zeros(spec.embedding_dim)
        w["intent.labels"] = glorot(spec.n_intents, spec.embedding_dim)
    for head, size in spec.tag_heads:
        w[f"{head}.kernel"], w[f"{head}.bias"] = glorot(u, size), zeros(size)
        w[f"{head}.transitions"] = zeros(size, size)
    return w


@dataclass(frozen=True)
class _StackedInputs:
    """Every source's input table stacked into one (a source's columns start at its offset),
    with the idf weights stacked alike (1 for a source without): one message's sparse inputs
    from all sources then take a handful of NumPy calls instead of some 30 per source."""

    made_from: tuple[FloatArray | None, ...]  # the tables and idfs: another array, anew
    table: FloatArray  # [sum of dims, input units]
    offsets: IntArray  # per source
    dims: IntArray  # per source
    idf: FloatArray  # [sum of dims]


class DietModel:
    def __init__(self, spec: ModelSpec, weights: dict[str, FloatArray]) -> None:
        self.spec = spec
        self.weights = weights  # NumPy copies, used for inference; refreshed after training
        self._variables: dict[str, Any] | None = None
        self._trainer: _Trainer | None = None
        self._stacked: _StackedInputs | None = None

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path) -> None:
        with path.open("wb") as stream:
            np.savez(stream, **self.weights)  # type: ignore[arg-type]

    @staticmethod
    def load(spec: ModelSpec, path: Path) -> DietModel:
        with np.load(path) as stored:
            weights = {name: stored[name].astype(np.float32) for name in stored.files}
        return DietModel(spec, weights)

    def widened(self, new_sources: tuple[tuple[str, int], ...], seed: int) -> DietModel:
        """The same model for feature sources whose dims grew: new input rows start at zero,
        so a feature the base model never saw changes nothing until it is trained."""
        old = dict(self.spec.sources)
        if [s for s, _ in new_sources] != [s for s, _ in self.spec.sources]:
            raise ValueError(
                f"feature sources changed from {list(old)} to {[s for s, _ in new_sources]}; "
                "fine-tuning needs the same featurizers"
            )
        weights = dict(self.weights)
        for source, dim in new_sources:
            if dim < old[source]:
                raise ValueError(
                    f"features of {source!r} shrank from {old[source]} to {dim} columns; "
                    "fine-tuning needs a vocabulary that only grows"
                )
            name = input_weight_name(source)
            extra = np.zeros((dim - old[source], self.spec.input_units), dtype=np.float32)
            weights[name] = np.concatenate([weights[name], extra], axis=0)
        spec = ModelSpec(**{**asdict(self.spec), "sources": new_sources})
        return DietModel(ModelSpec.from_json(asdict(spec)), weights)

    # ------------------------------------------------------------------ training
    def trainer(self, learning_rate: float, drop_rate: float, seed: int) -> _Trainer:
        if self._trainer is None:
            self._trainer = _Trainer(self, learning_rate, drop_rate, seed)
        return self._trainer

    def sync_from_variables(self, variables: dict[str, Any]) -> None:
        self.weights = {**self.weights, **{name: v.numpy() for name, v in variables.items()}}

    def idfs(self) -> list[FloatArray | None]:
        return [self.weights.get(idf_name(source)) for source, _ in self.spec.sources]

    # ------------------------------------------------------------------ inference (NumPy)
    def predict(self, text: EncodedText) -> Prediction:
        spec, w = self.spec, self.weights
        n = text.n_tokens
        tokens = np.zeros((n, spec.input_units), dtype=np.float32)
        sentence = np.zeros(spec.input_units, dtype=np.float32)
        for (source, _), rows in zip(spec.sources, text.sources, strict=True):
            table = w[input_weight_name(source)]
            if rows.tok_cols.size:
                picked = table[rows.tok_cols] * rows.tok_vals[:, None]
                # rows are sorted: one reduceat per run of a token's entries (np.add.at is slow)
                starts = _run_starts(rows.tok_rows)
                tokens[rows.tok_rows[starts]] += np.add.reduceat(picked, starts, axis=0)
            if rows.sent_cols.size:
                sentence += rows.sent_vals @ table[rows.sent_cols]
        return self._predict_from(np.concatenate([sentence[None], tokens], axis=0), n)

    def predict_features(
        self, n_tokens: int, features: Sequence[SparseFeatures | None]
    ) -> Prediction:
        """``predict(encode_text(n_tokens, features, dims, idfs))`` for one message (its
        featurizers' output, one per source in ``spec.sources`` order), with the sources
        taken all at once: the same values up to float32 rounding (the sums run in another
        order), in a fraction of the NumPy calls (a parse runs this)."""
        stacked = self._stacked_inputs()
        n = max(n_tokens, 1)
        present = [(i, f) for i, f in enumerate(features) if f is not None]
        index = np.array([i for i, _ in present], dtype=np.int32)
        seq = _stacked_rows(
            stacked, index, [f.seq_rows for _, f in present], [f.seq_cols for _, f in present],
            [f.seq_vals for _, f in present], n,
        )  # fmt: skip
        sent = _stacked_rows(
            stacked, index, [np.zeros(f.sent_cols.size, np.int32) for _, f in present],
            [f.sent_cols for _, f in present], [f.sent_vals for _, f in present], 1,
        )  # fmt: skip
        # [sentence; tokens] = (a weight per input row and feature) @ (the features' table rows)
        size = seq.cols.size
        spread = np.zeros((n + 1, size + sent.cols.size), dtype=np.float32)
        spread[seq.rows + 1, np.arange(size)] = seq.vals
        spread[0, size:] = sent.vals
        x = spread @ stacked.table[np.concatenate([seq.cols, sent.cols])]
        return self._predict_from(x, n)

    def _stacked_inputs(self) -> _StackedInputs:
        stacked = self._stacked
        names = [input_weight_name(source) for source, _ in self.spec.sources]
        current = (*(self.weights[name] for name in names), *self.idfs())
        if stacked is not None and all(
            made is now for made, now in zip(stacked.made_from, current, strict=True)
        ):
            return stacked
        dims = np.array([self.weights[name].shape[0] for name in names], dtype=np.int32)
        offsets = np.concatenate([[0], np.cumsum(dims)[:-1]]).astype(np.int32)
        table = np.concatenate([self.weights[name] for name in names], axis=0)
        idf = np.concatenate(
            [
                np.ones(dim, np.float32) if idf is None else idf.astype(np.float32)
                for dim, idf in zip(dims, self.idfs(), strict=True)
            ]
        )
        # the per-source tables become views of the stacked one: no second copy in memory
        views = {name: table[o : o + d] for name, o, d in zip(names, offsets, dims, strict=True)}
        self.weights = {**self.weights, **views}
        made_from = (*views.values(), *self.idfs())
        self._stacked = _StackedInputs(made_from, table, offsets, dims, idf)
        return self._stacked

    def _predict_from(self, inputs: FloatArray, n: int) -> Prediction:
        """The forward pass from the summed sparse inputs [CLS + n tokens, input units]."""
        spec, w = self.spec, self.weights
        x = inputs + w["input.bias"]
        x = self._hidden_numpy(x)
        x[0] += w["cls.bias"]
        positions = np.minimum(np.arange(n + 1), spec.max_positions - 1)
        x = x + w["positions"][positions]
        for layer in range(spec.layers):
            x = self._layer_numpy(x, f"layer{layer}.")
        x = _layer_norm_np(x, w["final_ln.gamma"], w["final_ln.beta"])
        scores = None
        if spec.n_intents:
            embedded = x[0] @ w["intent.kernel"] + w["intent.bias"]
            scores = (w["intent.labels"] @ embedded).astype(np.float32)
        potentials = {
            head: (x[1:] @ w[f"{head}.kernel"] + w[f"{head}.bias"]).astype(np.float32)
            for head, _ in spec.tag_heads
        }
        transitions = {head: self.transitions(head) for head, _ in spec.tag_heads}
        return Prediction(scores, potentials, transitions)

    def transitions(self, head: str) -> FloatArray:
        learned = self.weights[f"{head}.transitions"]
        penalties = self.weights.get(transition_penalty_name(head))
        return learned if penalties is None else learned + penalties

    def _hidden_numpy(self, x: FloatArray) -> FloatArray:
        if not self.spec.hidden_sizes:
            return x
        x = np.maximum(x, 0)
        for i in range(len(self.spec.hidden_sizes)):
            x = x @ self.weights[f"hidden{i}.kernel"] + self.weights[f"hidden{i}.bias"]
            if i < len(self.spec.hidden_sizes) - 1:
                x = np.maximum(x, 0)
        return x

    def _layer_numpy(self, x: FloatArray, p: str) -> FloatArray:
        w, heads = self.weights, self.spec.heads
        h = _layer_norm_np(x, w[p + "ln1.gamma"], w[p + "ln1.beta"])
        length, units = h.shape
        depth = units // heads

        def split(m: FloatArray) -> FloatArray:
            return m.reshape(length, heads, depth).transpose(1, 0, 2)

        q, k, v = (split(h @ w[p + name]) for name in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(depth)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        attended = (scores @ v).transpose(1, 0, 2).reshape(length, units)
        x = x + attended @ w[p + "output"]
        h = _layer_norm_np(x, w[p + "ln2.gamma"], w[p + "ln2.beta"])
        h = np.maximum(h @ w[p + "ffn1.kernel"] + w[p + "ffn1.bias"], 0)
        return x + h @ w[p + "ffn2.kernel"] + w[p + "ffn2.bias"]


@dataclass(frozen=True)
class _Rows:
    rows: IntArray
    cols: IntArray  # in the stacked table
    vals: FloatArray


def _stacked_rows(
    stacked: _StackedInputs,
    sources: IntArray,
    rows: Sequence[IntArray],
    cols: Sequence[IntArray],
    vals: Sequence[FloatArray],
    n_rows: int,
) -> _Rows:
    """Every source's entries in one array, as ``SourceRows.from_features`` makes them per
    source: out-of-range entries dropped, idf-weighted, L2-normalized per (source, row)."""
    sizes = [r.size for r in rows]
    if not sum(sizes):
        return _Rows(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32))
    source = np.repeat(sources, sizes)
    row = np.concatenate(rows)
    col = np.concatenate(cols)
    val = np.concatenate(vals).astype(np.float32, copy=False)
    keep = (col < stacked.dims[source]) & (row < n_rows)
    if not keep.all():
        source, row, col, val = source[keep], row[keep], col[keep], val[keep]
    col = col + stacked.offsets[source]
    val = val * stacked.idf[col]
    segment = source * n_rows + row
    squares = np.bincount(segment, weights=val.astype(np.float64) ** 2)
    norms = np.sqrt(squares)[segment]
    val = (val / np.maximum(norms, 1e-12)).astype(np.float32)
    return _Rows(row.astype(np.int32, copy=False), col.astype(np.int32, copy=False), val)


def _run_starts(sorted_rows: IntArray) -> npt.NDArray[np.intp]:
    """Where each run of equal values begins (``np.diff(..., prepend=-1)``'s non-zeros, without
    its wrapper's cost)."""
    changes = np.empty(sorted_rows.size, dtype=bool)
    changes[:1] = True  # an empty array has no first run
    np.not_equal(sorted_rows[1:], sorted_rows[:-1], out=changes[1:])
    return np.flatnonzero(changes)


def _layer_norm_np(x: FloatArray, gamma: FloatArray, beta: FloatArray) -> FloatArray:
    # the ufuncs themselves: ``mean`` and ``var`` cost more in their Python wrappers than in
    # their arithmetic on a message's few rows (every parse runs this 3 times per layer)
    units = x.shape[-1]
    centered = x - np.add.reduce(x, axis=-1, keepdims=True) / units
    var = np.add.reduce(centered * centered, axis=-1, keepdims=True) / units
    return centered / np.sqrt(var + LAYER_NORM_EPSILON) * gamma + beta


def batch_signature(spec: ModelSpec) -> dict[str, Any]:
    ints, floats = tf.int32, tf.float32
    sig: dict[str, Any] = {
        "mask": tf.TensorSpec([None, None], floats),
        "seed": tf.TensorSpec([2], ints),
    }
    for i in range(len(spec.sources)):
        for name, dtype in (("segments", ints), ("cols", ints), ("vals", floats)):
            sig[f"source{i}.{name}"] = tf.TensorSpec([None], dtype)
    if spec.n_intents:
        sig["intent"] = tf.TensorSpec([None], ints)
    for head, _ in spec.tag_heads:
        sig[f"tags.{head}"] = tf.TensorSpec([None, None], ints)
    return sig


class _Trainer:
    """TensorFlow variables, the training forward pass and Adam (lazy for the sparse inputs)."""

    def __init__(self, model: DietModel, learning_rate: float, drop_rate: float, seed: int):
        self.model = model
        self.spec = model.spec
        self.drop_rate = drop_rate
        self.variables = {
            n: tf.Variable(v, name=n.replace(".", "_"))
            for n, v in model.weights.items()
            if not n.startswith(FIXED_PREFIXES)
        }
        self.learning_rate = tf.Variable(learning_rate, dtype=tf.float32, trainable=False)
        self.adam = _Adam(self.variables, self.learning_rate)
        self.train_step = tf.function(
            self._train_step, input_signature=[batch_signature(self.spec)], reduce_retracing=True
        )

    def finish(self) -> None:
        self.model.sync_from_variables(self.variables)

    def _train_step(self, batch: dict[str, Any]) -> dict[str, Any]:
        with tf.GradientTape() as tape:
            losses, metrics = self._losses(batch)
            total = tf.add_n(list(losses.values()))
        names = list(self.variables)
        grads = tape.gradient(total, [self.variables[n] for n in names])
        self.adam.apply(dict(zip(names, grads, strict=True)))
        return {"loss": total, **metrics}

    def _dropout(self, x: Any, seed: Any, site: int, training: bool) -> Any:
        if self.drop_rate <= 0 or not training:
            return x
        keep = tf.random.stateless_uniform(tf.shape(x), seed + tf.constant([0, site])) >= (
            self.drop_rate
        )
        return tf.where(keep, x / (1.0 - self.drop_rate), tf.zeros_like(x))

    def encode(self, batch: dict[str, Any], training: bool = True) -> Any:
        """The final token states [B, 1 + T, units]: the sentence (CLS) first."""
        spec, v = self.spec, self.variables
        mask = batch["mask"]
        seed = batch["seed"]
        b, t = tf.shape(mask)[0], tf.shape(mask)[1]
        rows = b * t + b  # token rows first, then one sentence row per message
        summed = tf.zeros([rows, spec.input_units])
        for i, (source, dim) in enumerate(spec.sources):
            # a sparse [rows, dim] x dense [dim, units] product: no [nonzeros, units] tensor
            # (the gathered rows) exists forward or backward, which bounds training memory
            vals = self._dropout(batch[f"source{i}.vals"], seed, 100 + i, training)
            indices = tf.stack(
                [
                    tf.cast(batch[f"source{i}.segments"], tf.int64),
                    tf.cast(batch[f"source{i}.cols"], tf.int64),
                ],
                axis=1,
            )
            shape = tf.stack([tf.cast(rows, tf.int64), tf.constant(dim, tf.int64)])
            features = tf.SparseTensor(indices, vals, shape)
            summed += tf.sparse.sparse_dense_matmul(features, v[input_weight_name(source)])
        tokens = tf.reshape(summed[: b * t], [b, t, spec.input_units])
        sentence = summed[b * t :]
        x = tf.concat([sentence[:, None], tokens], axis=1) + v["input.bias"]
        x = self._hidden(x, seed, training)
        cls_marker = tf.concat([v["cls.bias"][None], tf.zeros([t, spec.units])], axis=0)
        positions = tf.minimum(tf.range(t + 1), spec.max_positions - 1)
        x = x + cls_marker[None] + tf.gather(v["positions"], positions)[None]
        x = self._dropout(x, seed, 1, training)
        full_mask = tf.concat([tf.ones([b, 1]), mask], axis=1)
        attention_bias = (1.0 - full_mask)[:, None, None, :] * NEG_INF
        for layer in range(spec.layers):
            x = self._layer(x, attention_bias, f"layer{layer}.", seed, 10 + 10 * layer, training)
        return _layer_norm(x, v["final_ln.gamma"], v["final_ln.beta"])

    def intent_scores(self, x: Any) -> Any:
        v = self.variables
        embedded = x[:, 0] @ v["intent.kernel"] + v["intent.bias"]
        return embedded @ tf.transpose(v["intent.labels"])

    def tag_potentials(self, x: Any, head: str) -> Any:
        return x[:, 1:] @ self.variables[f"{head}.kernel"] + self.variables[f"{head}.bias"]

    def _losses(self, batch: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        spec, v = self.spec, self.variables
        mask = batch["mask"]
        x = self.encode(batch)

        losses: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        if spec.n_intents:
            scores = self.intent_scores(x)
            target = tf.one_hot(batch["intent"], spec.n_intents)
            smoothing = spec.label_smoothing
            target = target * (1.0 - smoothing) + smoothing / spec.n_intents
            log_probs = tf.nn.log_softmax(scores)
            losses["intent"] = -tf.reduce_mean(tf.reduce_sum(target * log_probs, axis=1))
            hits = tf.equal(tf.argmax(scores, axis=1, output_type=tf.int32), batch["intent"])
            metrics["intent_acc"] = tf.reduce_mean(tf.cast(hits, tf.float32))
        lengths = tf.cast(tf.reduce_sum(mask, axis=1), tf.int32)
        for head, _ in spec.tag_heads:
            potentials = self.tag_potentials(x, head)
            transitions = v[f"{head}.transitions"]
            penalties = self.model.weights.get(transition_penalty_name(head))
            if penalties is not None:
                transitions = transitions + tf.constant(penalties)
            likelihood = crf_log_likelihood(potentials, batch[f"tags.{head}"], lengths, transitions)
            losses[head] = -tf.reduce_mean(likelihood)
            metrics[f"{head}_loss"] = losses[head]
        return losses, metrics

    def _hidden(self, x: Any, seed: Any, training: bool) -> Any:
        if not self.spec.hidden_sizes:
            return x
        x = tf.nn.relu(x)
        for i in range(len(self.spec.hidden_sizes)):
            x = x @ self.variables[f"hidden{i}.kernel"] + self.variables[f"hidden{i}.bias"]
            if i < len(self.spec.hidden_sizes) - 1:
                x = self._dropout(tf.nn.relu(x), seed, 50 + i, training)
        return x

    def _layer(
        self, x: Any, attention_bias: Any, p: str, seed: Any, site: int, training: bool
    ) -> Any:
        v, heads = self.variables, self.spec.heads
        units = self.spec.units
        depth = units // heads
        b, t = tf.shape(x)[0], tf.shape(x)[1]
        h = _layer_norm(x, v[p + "ln1.gamma"], v[p + "ln1.beta"])

        def split(m: Any) -> Any:
            return tf.transpose(tf.reshape(m, [b, t, heads, depth]), [0, 2, 1, 3])

        q, k, val = (split(h @ v[p + name]) for name in ("query", "key", "value"))
        scores = tf.matmul(q, k, transpose_b=True) / math.sqrt(depth) + attention_bias
        weights = self._dropout(tf.nn.softmax(scores), seed, site, training)
        attended = tf.reshape(tf.transpose(weights @ val, [0, 2, 1, 3]), [b, t, units])
        x = x + self._dropout(attended @ v[p + "output"], seed, site + 1, training)
        h = _layer_norm(x, v[p + "ln2.gamma"], v[p + "ln2.beta"])
        h = tf.nn.relu(h @ v[p + "ffn1.kernel"] + v[p + "ffn1.bias"])
        out = h @ v[p + "ffn2.kernel"] + v[p + "ffn2.bias"]
        return x + self._dropout(out, seed, site + 2, training)


def _layer_norm(x: Any, gamma: Any, beta: Any) -> Any:
    mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
    return (x - mean) * tf.math.rsqrt(var + LAYER_NORM_EPSILON) * gamma + beta


class _Adam:
    """Adam; sparse gradients (the input tables) update only the rows they touch."""

    def __init__(self, variables: dict[str, Any], learning_rate: Any) -> None:
        self.learning_rate = learning_rate
        self.beta1, self.beta2, self.epsilon = 0.9, 0.999, 1e-7
        self.step = tf.Variable(0.0, trainable=False)
        self.m = {n: tf.Variable(tf.zeros_like(v), trainable=False) for n, v in variables.items()}
        self.v = {n: tf.Variable(tf.zeros_like(v), trainable=False) for n, v in variables.items()}
        self.variables = variables

    def apply(self, grads: dict[str, Any]) -> None:
        self.step.assign_add(1.0)
        b1, b2 = self.beta1, self.beta2
        rate = self.learning_rate * tf.sqrt(1.0 - b2**self.step) / (1.0 - b1**self.step)
        for name, grad in grads.items():
            if grad is None:
                continue
            var, m, v = self.variables[name], self.m[name], self.v[name]
            if isinstance(grad, tf.IndexedSlices):
                rows, positions = tf.unique(grad.indices)
                values = tf.math.unsorted_segment_sum(grad.values, positions, tf.shape(rows)[0])
                m_rows = b1 * tf.gather(m, rows) + (1.0 - b1) * values
                v_rows = b2 * tf.gather(v, rows) + (1.0 - b2) * tf.square(values)
                m.scatter_update(tf.IndexedSlices(m_rows, rows))
                v.scatter_update(tf.IndexedSlices(v_rows, rows))
                step = rate * m_rows / (tf.sqrt(v_rows) + self.epsilon)
                var.scatter_sub(tf.IndexedSlices(step, rows))
            else:
                tf.raw_ops.ResourceApplyAdam(
                    var=var.handle,
                    m=m.handle,
                    v=v.handle,
                    beta1_power=b1**self.step,
                    beta2_power=b2**self.step,
                    lr=self.learning_rate,
                    beta1=b1,
                    beta2=b2,
                    epsilon=self.epsilon,
                    grad=grad,
                )
