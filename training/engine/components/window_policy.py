"""What the ML dialogue policies share: training samples (a window of the last ``max_history``
states -> the next action, from stories and their augmented joins; rules are left to
RulePolicy), a seeded TensorFlow training loop with Keras' Adam, NumPy inference over the same
forward pass, persistence (``weights.npz`` + ``meta.json``) and fine-tuning.

A subclass gives its weights (``initial_weights``) and one forward pass written against
``Ops``, so training (TensorFlow) and prediction (NumPy, well under a millisecond) run the
very same math.

The policy also keeps a seeded draw of at most ``MAX_REPLAY_SAMPLES`` of its training samples
(``replay``, stored in ``replay.json``), which interactive learning (``engine.online``) mixes
into the few update steps it takes on a corrected story, so the policy doesn't forget the rest.
Archives from before it have no replay file: their policies load with an empty ``replay``.
"""

from __future__ import annotations

import json
import math
import random
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from training.engine.component import (
    Component,
    ComponentKind,
    Progress,
    TrainContext,
    TrainInputs,
)
from training.engine.data import DomainSpec
from training.engine.dialogue.actions import action_names
from training.engine.dialogue.featurize import FloatArray, StateVocabulary
from training.engine.dialogue.policy import ML_PRIORITY, PolicyPrediction
from training.engine.dialogue.states import DialogueState
from training.engine.dialogue.trackers import (
    DEFAULT_AUGMENTATION_FACTOR,
    Sample,
    dialogue_samples,
    training_dialogues,
)

WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"
REPLAY_FILE = "replay.json"
MAX_REPLAY_SAMPLES = 1000
MAX_MEMO = 1024  # remembered answers (each scores every action) and encoded states, per policy
FINAL_RATE_DROP = 0.9

W = TypeVar("W", bound="WindowPolicy")
Weights = dict[str, FloatArray]


class PolicyConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Ops:
    """The few array functions a forward pass needs, for NumPy or TensorFlow."""

    relu: Callable[[Any], Any]
    sigmoid: Callable[[Any], Any]
    tanh: Callable[[Any], Any]
    softmax: Callable[[Any], Any]  # over the last axis
    mean: Callable[[Any], Any]  # over the last axis, kept
    transpose: Callable[[Any], Any]  # swaps the last two axes


def _np_softmax(x: Any) -> Any:
    shifted = np.exp(x - x.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


NUMPY_OPS = Ops(
    relu=lambda x: np.maximum(x, 0.0),
    sigmoid=lambda x: 1.0 / (1.0 + np.exp(-x)),
    tanh=np.tanh,
    softmax=_np_softmax,
    # the ufunc itself: ``ndarray.mean``'s Python wrapper costs more than a window's sum
    mean=lambda x: np.add.reduce(x, axis=-1, keepdims=True) / x.shape[-1],
    transpose=lambda x: np.swapaxes(x, -1, -2),
)


def _tf_ops() -> Ops:
    import tensorflow as tf

    return Ops(
        relu=tf.nn.relu,
        sigmoid=tf.sigmoid,
        tanh=tf.tanh,
        softmax=tf.nn.softmax,
        mean=lambda x: tf.reduce_mean(x, axis=-1, keepdims=True),
        transpose=tf.linalg.matrix_transpose,
    )


def glorot(rng: np.random.Generator, fan_in: int, fan_out: int) -> FloatArray:
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


def zeros(*shape: int) -> FloatArray:
    return np.zeros(shape, dtype=np.float32)


class WindowPolicy(Component):
    kind: ClassVar[ComponentKind] = "policy"
    # the weight whose rows are the state features (widened when the vocabulary grows)
    input_weight: ClassVar[str] = "w_in"
    # Rasa keys accepted for compatibility that change nothing here
    ignored_keys: ClassVar[dict[str, Any]] = {}
    # a softmax never says more: the ensemble skips the policy when an answer beats that
    max_confidence: ClassVar[float] = 1.0

    def __init__(self, config: dict[str, Any]) -> None:
        accepted = self.get_default_config()
        unknown = sorted(set(config) - set(accepted) - {"name"})
        if unknown:
            raise PolicyConfigError(
                f"{self.name}: unknown config key(s) {', '.join(unknown)}; "
                f"accepted keys: {', '.join(sorted(accepted))}"
            )
        super().__init__({**accepted, **{k: v for k, v in config.items() if k != "name"}})
        if int(self.config["max_history"] or 0) <= 0:
            raise PolicyConfigError(f"{self.name}: max_history must be a positive number")
        if int(self.config["epochs"]) < 0:
            raise PolicyConfigError(f"{self.name}: epochs must be >= 0")
        self.vocabulary = StateVocabulary(())
        self.actions: tuple[str, ...] = ()
        self.weights: Weights = {}
        # (window, action) samples of the training data, for interactive learning's replay
        self.replay: tuple[Sample, ...] = ()
        self._memo: _Memo | None = None

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {
            "max_history": 5,
            "epochs": 60,
            "batch_size": 32,
            "learning_rate": 0.005,
            "augmentation_factor": DEFAULT_AUGMENTATION_FACTOR,
            "random_seed": None,
            # at most this many (window, action) samples, a seeded draw (Rasa 1.x/2.x's key)
            "max_training_samples": None,
            "priority": ML_PRIORITY,
            **cls.ignored_keys,
        }

    @property
    def priority(self) -> int:
        return int(self.config.get("priority", ML_PRIORITY))

    @property
    def max_history(self) -> int:
        return int(self.config["max_history"])

    # ------------------------------------------------------------------ the model
    @abstractmethod
    def initial_weights(self, n_features: int, n_actions: int, seed: int) -> Weights: ...

    @abstractmethod
    def forward(self, weights: dict[str, Any], x: Any, mask: Any, ops: Ops) -> Any:
        """Action logits ``(batch, actions)`` for windows ``x`` ``(batch, history, features)``
        with ``mask`` ``(batch, history)`` (1 for a real state, 0 for left padding)."""

    # ------------------------------------------------------------------ training
    def train(self, inputs: TrainInputs, context: TrainContext) -> dict[str, float]:
        domain = inputs.data.domain
        seed = (
            context.seed if self.config["random_seed"] is None else int(self.config["random_seed"])
        )
        windows, targets = self._samples(inputs, seed)
        actions = _action_list(domain, targets)
        if not windows:  # rules only: nothing to learn, and no opinion at inference
            self.vocabulary, self.actions, self.weights = StateVocabulary(()), (), {}
            self.replay = ()
            return {"samples": 0.0}
        self.replay = _replay_draw(windows, targets, seed)
        epochs = int(self.config["epochs"])
        base = (
            None
            if context.finetune_from is None
            else type(self).load(self.config, context.finetune_from)
        )
        if base is None or not base.weights:  # a base without stories starts afresh
            self.vocabulary = StateVocabulary.build(domain, windows)
            self.actions = actions
            self.weights = self.initial_weights(self.vocabulary.size, len(actions), seed)
        else:
            self._start_from(base, domain, windows)
            if actions != self.actions:
                raise ValueError(
                    f"{self.name}: cannot fine-tune, the actions changed: base "
                    f"{list(self.actions)}, now {list(actions)}"
                )
        if context.finetune_from is not None:
            epochs = math.ceil(epochs * context.epoch_fraction)
        x, mask = self.vocabulary.encode_windows(windows, self.max_history)
        y = np.asarray([self.actions.index(a) for a in targets], dtype=np.int32)

        def report(epoch: int, total: int, metrics: dict[str, float]) -> None:
            context.report(Progress(context.node, epoch, total, dict(metrics)))

        metrics = self._fit(x, mask, y, epochs, seed, report)
        return {"samples": float(len(y)), **metrics}

    def _samples(
        self, inputs: TrainInputs, seed: int
    ) -> tuple[list[tuple[DialogueState, ...]], list[str]]:
        """Distinct (window, action) pairs, in the order the dialogues show them."""
        dialogues = training_dialogues(
            inputs.data.stories,
            augmentation_factor=int(self.config["augmentation_factor"] or 0),
            seed=seed,
            include_rules=False,
        )
        seen: dict[tuple[tuple[DialogueState, ...], str], None] = {}
        for dialogue in dialogues:
            for states, action in dialogue_samples(dialogue, inputs.data.domain):
                seen.setdefault((tuple(states[-self.max_history :]), action), None)
        samples = list(seen)
        limit = self.config["max_training_samples"]
        if limit is not None and 0 < int(limit) < len(samples):
            keep = sorted(random.Random(seed).sample(range(len(samples)), int(limit)))
            samples = [samples[i] for i in keep]
        return [w for w, _ in samples], [a for _, a in samples]

    def fit_samples(
        self, samples: Sequence[Sample], *, epochs: int, seed: int, batch_size: int
    ) -> dict[str, float]:
        """Train the current weights further on ``samples`` (their actions must be known):
        ``epochs`` passes in batches of ``batch_size``, from a fresh optimizer."""
        unknown = sorted({action for _, action in samples} - set(self.actions))
        if unknown:
            raise ValueError(f"{self.name}: unknown action(s) {', '.join(unknown)}")
        x, mask = self.vocabulary.encode_windows([w for w, _ in samples], self.max_history)
        y = np.asarray([self.actions.index(a) for _, a in samples], dtype=np.int32)
        return self._fit(x, mask, y, epochs, seed, lambda *_: None, batch_size=batch_size)

    def _start_from(
        self, base: WindowPolicy, domain: DomainSpec, windows: Sequence[Sequence[DialogueState]]
    ) -> None:
        self.vocabulary = base.vocabulary.grown(domain, windows)
        self.actions = base.actions
        self.weights = dict(base.weights)
        rows = self.weights[self.input_weight]
        extra = self.vocabulary.size - rows.shape[0]
        if extra > 0:  # new features start with no influence; the learned rows are kept
            self.weights[self.input_weight] = np.concatenate(
                [rows, np.zeros((extra, rows.shape[1]), dtype=np.float32)]
            )

    def _fit(
        self,
        x: FloatArray,
        mask: FloatArray,
        y: np.ndarray[Any, Any],
        epochs: int,
        seed: int,
        report: Callable[[int, int, dict[str, float]], None],
        *,
        batch_size: int | None = None,
    ) -> dict[str, float]:
        if epochs <= 0:
            return {}
        import keras
        import tensorflow as tf

        ops = _tf_ops()
        variables = {name: tf.Variable(value, name=name) for name, value in self.weights.items()}
        names = sorted(variables)
        trainable = [variables[name] for name in names]
        optimizer = keras.optimizers.Adam(learning_rate=float(self.config["learning_rate"]))
        optimizer.build(trainable)
        history, n_features = x.shape[1], x.shape[2]

        def train_step(bx: Any, bmask: Any, by: Any) -> tuple[Any, Any]:
            with tf.GradientTape() as tape:
                logits = self.forward(variables, bx, bmask, ops)
                loss = tf.reduce_mean(
                    tf.nn.sparse_softmax_cross_entropy_with_logits(labels=by, logits=logits)
                )
            optimizer.apply_gradients(zip(tape.gradient(loss, trainable), trainable, strict=True))
            hits = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, -1, tf.int32), by), tf.float32))
            return loss, hits

        step = tf.function(
            train_step,
            input_signature=[
                tf.TensorSpec([None, history, n_features], tf.float32),
                tf.TensorSpec([None, history], tf.float32),
                tf.TensorSpec([None], tf.int32),
            ],
        )
        rng = np.random.default_rng(seed)
        size = max(1, int(self.config["batch_size"] if batch_size is None else batch_size))
        metrics: dict[str, float] = {}
        rate = float(self.config["learning_rate"])
        for epoch in range(epochs):
            # a linear decay to a tenth: the last epochs settle instead of bouncing around
            optimizer.learning_rate = rate * (1.0 - FINAL_RATE_DROP * epoch / max(1, epochs - 1))
            order = rng.permutation(len(y))
            losses, hits = 0.0, 0.0
            for start in range(0, len(order), size):
                part = order[start : start + size]
                loss, hit = step(x[part], mask[part], y[part])
                losses += float(loss) * len(part)
                hits += float(hit)
            metrics = {"loss": losses / len(y), "acc": hits / len(y)}
            report(epoch + 1, epochs, metrics)
        self.weights = {name: variables[name].numpy() for name in names}
        return metrics

    # ------------------------------------------------------------------ inference
    def predict(
        self, states: Sequence[DialogueState], actions: Sequence[str] = ()
    ) -> PolicyPrediction | None:
        """Softmax scores over the trained actions (those in ``actions`` when given).

        The same window (and actions) always gives the same answer: answers are remembered
        per window, for the weights, vocabulary and actions they came from."""
        if not self.weights or not states:
            return None
        recent = tuple(states[-self.max_history :])
        if not all(map(_named_plainly, recent)):
            return self._scores(*self.vocabulary.encode_window(recent, self.max_history), actions)
        key = (recent, tuple(actions))
        memo = self._current_memo()
        try:
            return memo.answers[key]
        except KeyError:
            answer = self._scores(*memo.encode_window(recent, self.max_history), actions)
            memo.remember(key, answer)
            return answer

    def _current_memo(self) -> _Memo:
        memo = self._memo
        if memo is None or not memo.serves(self):
            # set on this object: a shallow copy given other weights gets a memo of its own
            memo = self._memo = _Memo(self.weights, self.vocabulary, self.actions)
        return memo

    def _scores(
        self, x: FloatArray, mask: FloatArray, actions: Sequence[str]
    ) -> PolicyPrediction | None:
        logits = self.forward(self.weights, x[None], mask[None], NUMPY_OPS)[0]
        allowed = set(actions) if actions else None
        keep = [i for i, a in enumerate(self.actions) if allowed is None or a in allowed]
        if not keep:
            return None
        probabilities = _np_softmax(logits[keep].astype(np.float64))
        ranked = sorted(
            zip((self.actions[i] for i in keep), probabilities.tolist(), strict=True),
            key=lambda pair: -pair[1],
        )
        best, confidence = ranked[0]
        return PolicyPrediction(self.name, best, float(confidence), self.priority, tuple(ranked))

    # ------------------------------------------------------------------ persistence
    def persist(self, directory: Path) -> None:
        if not self.weights:
            return
        with (directory / WEIGHTS_FILE).open("wb") as handle:
            save: Any = np.savez  # its stubs can't take arrays by keyword
            save(handle, **self.weights)
        meta = {"features": list(self.vocabulary.names), "actions": list(self.actions)}
        (directory / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        if self.replay:
            (directory / REPLAY_FILE).write_text(
                json.dumps(_replay_json(self.replay), ensure_ascii=False), encoding="utf-8"
            )

    @classmethod
    def load(cls: type[W], config: dict[str, Any], directory: Path) -> W:
        policy = cls(config)
        meta_path = directory / META_FILE
        if not meta_path.exists():
            return policy
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        policy.vocabulary = StateVocabulary(tuple(meta["features"]))
        policy.actions = tuple(meta["actions"])
        with np.load(directory / WEIGHTS_FILE) as stored:
            policy.weights = {name: stored[name].astype(np.float32) for name in stored.files}
        replay_path = directory / REPLAY_FILE
        if replay_path.exists():
            policy.replay = _replay_from_json(json.loads(replay_path.read_text(encoding="utf-8")))
        return policy


MemoKey = tuple[tuple[DialogueState, ...], tuple[str, ...]]


@dataclass
class _Memo:
    """A window policy's answers by (window, actions), valid while the policy keeps these very
    weights, vocabulary and actions (training and fine-tuning replace them, never edit them)."""

    weights: Weights
    vocabulary: StateVocabulary
    actions: tuple[str, ...]
    answers: dict[MemoKey, PolicyPrediction | None] = field(default_factory=dict)
    rows: dict[DialogueState, FloatArray] = field(default_factory=dict)  # encoded states

    def serves(self, policy: WindowPolicy) -> bool:
        return (
            self.weights is policy.weights
            and self.vocabulary is policy.vocabulary
            and self.actions is policy.actions
        )

    def remember(self, key: MemoKey, answer: PolicyPrediction | None) -> None:
        if len(self.answers) >= MAX_MEMO:
            self.answers.clear()
        self.answers[key] = answer

    def encode_window(
        self, recent: Sequence[DialogueState], max_history: int
    ) -> tuple[FloatArray, FloatArray]:
        """``vocabulary.encode_window(recent, max_history)``, each state encoded once."""
        return self.vocabulary.encode_window(recent, max_history, self._row)

    def _row(self, state: DialogueState) -> FloatArray:
        row = self.rows.get(state)
        if row is None:
            if len(self.rows) >= MAX_MEMO:
                self.rows.clear()
            row = self.rows[state] = self.vocabulary.encode_state(state)
        return row


def _named_plainly(state: DialogueState) -> bool:
    """Whether equal states of this kind featurize alike: names of other types than ``str``
    may be equal and featurize apart (``1 == True``; "intent:1", "intent:True")."""
    names = (state.intent, state.active_loop, state.prev_action, *(n for n, _ in state.slots))
    return all(type(name) is str or name is None for name in names)


def _action_list(domain: DomainSpec, targets: Sequence[str]) -> tuple[str, ...]:
    """The domain's actions, then actions only the stories name (end-to-end bot turns)."""
    known = action_names(domain)
    return (*known, *sorted(set(targets) - set(known)))


def _replay_draw(
    windows: Sequence[tuple[DialogueState, ...]], targets: Sequence[str], seed: int
) -> tuple[Sample, ...]:
    samples = list(zip(windows, targets, strict=True))
    if len(samples) > MAX_REPLAY_SAMPLES:
        keep = sorted(random.Random(seed).sample(range(len(samples)), MAX_REPLAY_SAMPLES))
        samples = [samples[i] for i in keep]
    return tuple(samples)


def _replay_json(samples: Sequence[Sample]) -> dict[str, Any]:
    """Each distinct state once; a sample is its states' indices and its action."""
    index: dict[DialogueState, int] = {}
    rows = []
    for states, action in samples:
        rows.append([[index.setdefault(state, len(index)) for state in states], action])
    return {"states": [state.as_json() for state in index], "samples": rows}


def _replay_from_json(raw: dict[str, Any]) -> tuple[Sample, ...]:
    states = [
        DialogueState(
            intent=item["intent"],
            entities=tuple(item["entities"]),
            slots=tuple((str(name), str(value)) for name, value in item["slots"]),
            active_loop=item["active_loop"],
            prev_action=item["prev_action"],
        )
        for item in raw["states"]
    ]
    return tuple(
        (tuple(states[i] for i in indices), str(action)) for indices, action in raw["samples"]
    )
