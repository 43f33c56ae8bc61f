"""Evaluate a newly trained model and compare it with the active one.

Stored in ``ModelVersion.metrics``:

* ``training``: what the components reported while training (DIET's ``val_*`` figures are on
  examples it held out of its own training);
* ``nlu``: ``training.engine.evaluation`` over the NLU examples the assistant's settings hold
  out of training (``training.holdout``), or, when it holds none out, over its training
  examples (``held_out`` says which; a deterministic sample of at most ``MAX_NLU_EXAMPLES``):
  intent accuracy and macro F1, entity F1, ``per_intent`` F1 and support, and a ``confusion``
  matrix (gold rows, predicted columns) over the ``MAX_CONFUSION_LABELS`` intents with the most
  errors;
* ``stories``: the test stories (``tests/``) replayed by ``training.engine.dialogue``.

``headline`` flattens the figures where higher is better; ``metrics_comparison`` compares two
models on the figures both have; ``intents_worse`` lists the intents whose F1 dropped;
``model_comparison`` puts both together for the Training page.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from annotation.selectors.project_export import assistant_project
from training.adapters import nlu_examples_from_project, training_data_from_project
from training.cli import _with_markup_entities
from training.engine.data import NluExample, StorySpec
from training.engine.dialogue.evaluation import evaluate_stories
from training.engine.evaluation import evaluate_nlu
from training.engine.model import Model
from training.holdout import split_nlu
from training.models import ModelVersion
from training.registry import archive_path, training_settings_get

MAX_NLU_EXAMPLES = 2000
MAX_CONFUSION_LABELS = 30
MAX_INTENTS_WORSE = 50
TOLERANCE = 1e-9
NO_INTENT = "(none)"  # the label of predictions without an intent


def _sample(examples: list[NluExample]) -> list[NluExample]:
    if len(examples) <= MAX_NLU_EXAMPLES:
        return examples
    ranked = sorted(examples, key=lambda e: hashlib.sha1(e.text.encode()).hexdigest())
    return ranked[:MAX_NLU_EXAMPLES]


def model_version_evaluate(*, version: ModelVersion) -> dict[str, Any]:
    """Evaluate the model, store the figures in ``version.metrics`` and return them."""
    project = assistant_project(assistant=version.assistant)
    percent = training_settings_get(assistant=version.assistant).nlu_holdout_percent
    _, held_out = split_nlu(training_data_from_project(project), percent)
    examples = _sample(list(held_out) if percent > 0 else nlu_examples_from_project(project))
    tests = [
        dataclasses.replace(story, is_test=False) for story in project.stories if story.is_test
    ]
    stories: list[StorySpec] = []
    if tests:
        stories = [
            dataclasses.replace(s, events=tuple(_with_markup_entities(e) for e in s.events))
            for s in training_data_from_project(
                dataclasses.replace(project, stories=tuple(tests))
            ).stories
        ]
    metrics: dict[str, Any] = {"training": dict(version.metrics.get("training") or {})}
    model = Model.load(archive_path(version))
    try:
        if examples and model.pipeline:
            report = evaluate_nlu(model, examples)
            metrics["nlu"] = {
                "held_out": percent > 0,  # else: measured on examples the model trained on
                "examples": report["examples"],
                "intent_accuracy": report["intent"]["accuracy"],
                "intent_macro_f1": report["intent"]["macro_f1"],
                "entity_f1": report["entities"]["exact"]["f1"],
                "per_intent": {
                    intent: {"f1": round(scores["f1"], 6), "support": scores["support"]}
                    for intent, scores in report["intent"]["per_intent"].items()
                    if scores["support"]
                },
                "confusion": confusion_matrix(report["intent"]),
            }
        if stories and model.policies:
            story_report = evaluate_stories(model, stories)
            metrics["stories"] = {
                "stories": story_report["stories"],
                "conversation_accuracy": story_report["conversation_accuracy"],
                "action_accuracy": story_report["action_accuracy"],
                "failed": [f["story"] for f in story_report["failed_stories"]][:20],
            }
    finally:
        model.close()
    version.metrics = metrics
    version.save(update_fields=["metrics", "updated_at"])
    return metrics


def confusion_matrix(intent_report: dict[str, Any]) -> dict[str, Any]:
    """``{labels, matrix}`` from an intent report: ``matrix[gold][predicted]`` counts, over the
    intents with the most errors (then the most examples), at most ``MAX_CONFUSION_LABELS``."""
    per_intent: dict[str, dict[str, Any]] = intent_report["per_intent"]
    errors: dict[str, int] = dict.fromkeys(per_intent, 0)
    cells: dict[tuple[str, str], int] = {}
    for label, scores in per_intent.items():
        # the report keeps the correct predictions only as recall over support
        cells[(label, label)] = round(scores["recall"] * scores["support"])
    for confusion in intent_report["confusions"]:
        gold, predicted, count = confusion["gold"], confusion["predicted"], confusion["count"]
        cells[(gold, predicted)] = count
        errors[gold] = errors.get(gold, 0) + count
        errors[predicted] = errors.get(predicted, 0) + count
    ranked = sorted(
        errors,
        key=lambda label: (-errors[label], -per_intent.get(label, {}).get("support", 0), label),
    )
    labels = sorted(ranked[:MAX_CONFUSION_LABELS])
    return {
        "labels": [label or NO_INTENT for label in labels],
        "matrix": [[cells.get((gold, predicted), 0) for predicted in labels] for gold in labels],
        "intents": len(errors),
    }


def headline(metrics: dict[str, Any]) -> dict[str, float]:
    """The figures of ``metrics`` where higher is better, by a flat name."""
    found: dict[str, float] = {}
    for section in ("nlu", "stories"):
        for key, value in (metrics.get(section) or {}).items():
            if key.endswith(("accuracy", "f1")) and isinstance(value, int | float):
                found[f"{section}.{key}"] = float(value)
    for node, values in (metrics.get("training") or {}).items():
        for key, value in (values or {}).items() if isinstance(values, dict) else ():
            if key.startswith("val_") and "acc" in key and isinstance(value, int | float):
                found[f"held_out.{node}.{key}"] = float(value)
    return found


def metrics_comparison(*, new: ModelVersion, old: ModelVersion) -> dict[str, dict[str, Any]]:
    """``{figure: {old, new, change, worse}}`` over the figures both models have."""
    before = headline(old.metrics or {})
    after = headline(new.metrics or {})
    return {
        name: {
            "old": before[name],
            "new": after[name],
            "change": round(after[name] - before[name], 6),
            "worse": after[name] < before[name] - TOLERANCE,
        }
        for name in sorted(before.keys() & after.keys())
    }


def intents_worse(*, new: ModelVersion, old: ModelVersion) -> list[dict[str, Any]]:
    """``[{intent, old_f1, new_f1}]``: the intents both models were measured on whose F1 dropped,
    the biggest drop first."""
    before = ((old.metrics or {}).get("nlu") or {}).get("per_intent") or {}
    after = ((new.metrics or {}).get("nlu") or {}).get("per_intent") or {}
    worse = [
        {"intent": intent, "old_f1": before[intent]["f1"], "new_f1": after[intent]["f1"]}
        for intent in before.keys() & after.keys()
        if after[intent]["f1"] < before[intent]["f1"] - TOLERANCE
    ]
    worse.sort(key=lambda item: (item["new_f1"] - item["old_f1"], item["intent"]))
    return worse[:MAX_INTENTS_WORSE]


def model_comparison(*, new: ModelVersion, old: ModelVersion) -> dict[str, Any]:
    """The headline figures and the intents that got worse, ``new`` against ``old``."""
    return {
        "old_model_id": old.model_id,
        "new_model_id": new.model_id,
        "figures": metrics_comparison(new=new, old=old),
        "intents_worse": intents_worse(new=new, old=old),
    }
