"""The training loop: shuffled batches of a growing size, one progress report per epoch, and an
optional held-out evaluation every few epochs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from training.engine.nn.batching import TrainingExample, batch_size_for_epoch, make_batch
from training.engine.nn.diet_model import DietModel

BATCHES_PER_BUCKET = 20
FINAL_LEARNING_RATE_FRACTION = 0.1
EpochReport = Callable[[int, int, dict[str, float]], None]


@dataclass(frozen=True)
class FitSettings:
    epochs: int
    batch_size: int | tuple[int, ...]
    learning_rate: float
    drop_rate: float
    seed: int
    evaluate_every: int = 20


def fit(
    model: DietModel,
    examples: Sequence[TrainingExample],
    settings: FitSettings,
    report: EpochReport,
    held_out: Sequence[TrainingExample] = (),
) -> dict[str, float]:
    """Train ``model`` in place; return the last epoch's metrics."""
    metrics: dict[str, float] = {}
    if not examples or settings.epochs <= 0:
        return metrics
    trainer = model.trainer(settings.learning_rate, settings.drop_rate, settings.seed)
    rng = np.random.default_rng(settings.seed)
    step = 0
    for epoch in range(settings.epochs):
        size = batch_size_for_epoch(settings.batch_size, epoch, settings.epochs)
        # a linear decay: with few epochs, the last ones settle instead of bouncing around
        decay = 1.0 - (1.0 - FINAL_LEARNING_RATE_FRACTION) * epoch / max(1, settings.epochs - 1)
        trainer.learning_rate.assign(settings.learning_rate * decay)
        sums: dict[str, float] = {}
        batches = 0
        for indices in _length_bucketed_batches(examples, size, rng):
            chosen = [examples[i] for i in indices]
            batch = make_batch(model.spec, chosen, (settings.seed, step * 1000))
            step += 1
            for name, value in trainer.train_step(batch).items():
                sums[name] = sums.get(name, 0.0) + float(value)
            batches += 1
        metrics = {name: total / batches for name, total in sums.items()}
        last = epoch == settings.epochs - 1
        if held_out and (last or (epoch + 1) % max(1, settings.evaluate_every) == 0):
            trainer.finish()
            metrics["val_intent_acc"] = intent_accuracy(model, held_out)
        report(epoch + 1, settings.epochs, metrics)
    trainer.finish()
    return metrics


def _length_bucketed_batches(
    examples: Sequence[TrainingExample], size: int, rng: np.random.Generator
) -> list[np.ndarray[Any, Any]]:
    """Shuffled batches of messages of similar length (less padding, same randomness): a
    shuffled order is cut into chunks of many batches, each chunk sorted by length."""
    order = rng.permutation(len(examples))
    lengths = np.asarray([e.text.n_tokens for e in examples])
    batches: list[np.ndarray[Any, Any]] = []
    chunk = size * BATCHES_PER_BUCKET
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + size] for i in range(0, len(part), size))
    return [batches[i] for i in rng.permutation(len(batches))]


def intent_accuracy(model: DietModel, examples: Sequence[TrainingExample]) -> float:
    hits = 0
    for example in examples:
        scores = model.predict(example.text).intent_scores
        hits += int(scores is not None and int(np.argmax(scores)) == example.intent)
    return hits / max(1, len(examples))
