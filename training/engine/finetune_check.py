"""Can a model be fine-tuned on new data? Compare the base model's metadata with the data.

Fine-tuning continues training the base model's weights, so everything that shapes those
weights must be as before: the labels (intents, entities, roles, groups, retrieval intents),
the dialogue domain (slots, actions, response names, forms), and the config apart from
``epochs``. The checker lists every difference (never just the first) before anything trains,
with a one-line summary; CLI, API and UI show the same verdict.

The base model's metadata (see ``archive``) holds ``config`` (resolved: every default filled
in), ``labels`` (``archive.labels_of``), ``domain`` (``asdict(DomainSpec)``) and, when
recorded, ``label_examples`` (``example_counts``: without it, a label the base domain declares
is not known to have had examples). The current config is resolved the same way, so a key
written out with its default value counts as unchanged.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from training.engine.archive import example_counts, labels_of
from training.engine.component import UnknownComponentError, component_class
from training.engine.config import resolve_config
from training.engine.data import TrainingData

ALLOWED_CHANGES: tuple[str, ...] = (
    "new or edited NLU examples (for labels the model already knows)",
    "new or edited stories and rules",
    "edited response texts (same response names)",
    "`epochs` of any component (fine-tuning trains ceil(epochs x epoch fraction) epochs)",
)
TUNABLE_KEYS = frozenset({"epochs"})
# the label kinds of ``archive.labels_of``, as they are named in a difference
LABEL_KINDS: tuple[tuple[str, str], ...] = (
    ("intents", "intent"),
    ("entities", "entity"),
    ("roles", "role"),
    ("groups", "group"),
    ("retrieval_responses", "retrieval intent"),
)
SLOT_ASPECTS = (
    "type",
    "values",
    "mappings",
    "influence_conversation",
    "min_value",
    "max_value",
    "initial_value",
)
MAX_SUMMARY_PARTS = 6


@dataclass(frozen=True)
class Difference:
    kind: str  # intent, entity, role, group, retrieval intent, slot, action, response, form,
    #            intent settings, language, pipeline, policy, config
    name: str
    change: str  # added, removed, changed, reordered, no examples
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "change": self.change, "detail": self.detail}


@dataclass(frozen=True)
class FinetuneVerdict:
    allowed: bool
    differences: tuple[Difference, ...]
    allowed_changes: tuple[str, ...]
    summary: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "differences": [difference.as_dict() for difference in self.differences],
            "allowed_changes": list(self.allowed_changes),
            "summary": self.summary,
        }


def check_finetune(
    base_metadata: Mapping[str, Any], data: TrainingData, *, nlu_only: bool = False
) -> FinetuneVerdict:
    """May a model with ``base_metadata`` be fine-tuned on ``data``? Every reason if not.

    ``nlu_only``: only the NLU model is trained, so the dialogue domain and the policies
    may differ.
    """
    found = _Differences()
    _check_config(found, base_metadata.get("config") or {}, data, nlu_only=nlu_only)
    _check_labels(found, base_metadata, data)
    if not nlu_only:
        _check_domain(found, _jsonable(base_metadata.get("domain") or {}), data)
    differences = tuple(found.items)
    return FinetuneVerdict(
        allowed=not differences,
        differences=differences,
        allowed_changes=ALLOWED_CHANGES,
        summary=summarize(differences),
    )


def summarize(differences: Sequence[Difference]) -> str:
    """ "Fine-tune refused: 1 intent added, slot 'city' type changed text -> categorical"."""
    if not differences:
        return "Fine-tune allowed: labels, domain and config match the base model."
    parts: list[str] = []
    counted: Counter[tuple[str, str]] = Counter(
        (d.kind, d.change) for d in differences if d.change != "changed"
    )
    for (kind, change), count in counted.items():
        noun = kind if count == 1 else _plural(kind)
        verb = "without examples" if change == "no examples" else change
        parts.append(f"{count} {noun} {verb}")
    parts.extend(f"{d.kind} '{d.name}' {d.detail}" for d in differences if d.change == "changed")
    if len(parts) > MAX_SUMMARY_PARTS:
        hidden = len(parts) - MAX_SUMMARY_PARTS
        parts = [*parts[:MAX_SUMMARY_PARTS], f"and {hidden} more"]
    return "Fine-tune refused: " + ", ".join(parts)


# ------------------------------------------------------------------------------------ config


def _check_config(
    found: _Differences, base: Mapping[str, Any], data: TrainingData, *, nlu_only: bool
) -> None:
    current = resolve_config(data.config).as_dict()
    if base.get("language") != current["language"]:
        found.add(
            "language",
            "language",
            "changed",
            f"changed {base.get('language')} -> {current['language']}",
        )
    sections = [("pipeline", "pipeline", "")]
    if not nlu_only:
        sections.append(("policies", "policy", "policy_"))
    for section, kind, prefix in sections:
        before = [_with_defaults(step) for step in base.get(section) or ()]
        after = [_with_defaults(step) for step in current[section]]
        if _names(before) != _names(after):
            _component_list_changes(found, kind, _names(before), _names(after))
            continue
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            _component_config_changes(found, f"{prefix}{index}_{new['name']}", old, new)


def _with_defaults(step: Mapping[str, Any]) -> dict[str, Any]:
    """A step's config with its component's current defaults filled in (``name`` kept)."""
    step = _jsonable(step)
    try:
        defaults = component_class(str(step.get("name"))).get_default_config()
    except UnknownComponentError:
        defaults = {}
    return {**_jsonable(defaults), **step}


def _names(steps: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(step.get("name")) for step in steps]


def _component_list_changes(
    found: _Differences, kind: str, before: list[str], after: list[str]
) -> None:
    old, new = Counter(before), Counter(after)
    for name in sorted(set(old) | set(new)):
        if new[name] > old[name]:
            found.add(kind, name, "added", f"{kind} component {name} added ({before} -> {after})")
        elif old[name] > new[name]:
            found.add(
                kind, name, "removed", f"{kind} component {name} removed ({before} -> {after})"
            )
    if old == new:
        found.add(kind, ", ".join(after), "reordered", f"components reordered: {before} -> {after}")


def _component_config_changes(
    found: _Differences, node: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> None:
    for key in sorted(set(old) | set(new)):
        if key in TUNABLE_KEYS or key == "name":
            continue
        missing = object()
        before, after = old.get(key, missing), new.get(key, missing)
        if before != after:
            shown_before = "(unset)" if before is missing else _show(before)
            shown_after = "(unset)" if after is missing else _show(after)
            found.add(
                "config", f"{node}.{key}", "changed", f"changed {shown_before} -> {shown_after}"
            )


# ------------------------------------------------------------------------------------ labels


def _check_labels(
    found: _Differences, base_metadata: Mapping[str, Any], data: TrainingData
) -> None:
    base_labels = base_metadata.get("labels") or {}
    current = labels_of(data)
    counts = example_counts(data)
    learned = base_metadata.get("label_examples")
    for key, kind in LABEL_KINDS:
        before = set(base_labels.get(key) or ())
        after = set(current.get(key) or ())
        for name in sorted(after - before):
            found.add(kind, name, "added", f"new {kind} '{name}': the base model has no such label")
        for name in sorted(before - after):
            found.add(kind, name, "removed", f"{kind} '{name}' is gone; the base model knows it")
        for name in sorted(before & after):
            # a label known from examples alone that lost them is "removed" above; one the
            # domain declares may never have had examples (bot_challenge, nlu_fallback):
            # without the base's recorded counts, it is given the benefit of the doubt
            had_examples = learned is not None and (learned.get(key) or {}).get(name, 0) > 0
            if had_examples and counts[key].get(name, 0) == 0:
                found.add(
                    kind,
                    name,
                    "no examples",
                    f"{kind} '{name}' has no NLU examples left; the base model learned it",
                )


# ------------------------------------------------------------------------------------ domain


def _check_domain(found: _Differences, base: Mapping[str, Any], data: TrainingData) -> None:
    current = _jsonable(asdict(data.domain))
    _check_named(found, "intent", base.get("intents"), current["intents"], _intent_settings)
    _check_named(found, "entity", base.get("entities"), current["entities"], _entity_settings)
    _check_named(found, "slot", base.get("slots"), current["slots"], _slot_settings)
    _check_set(found, "action", base.get("actions") or (), current["actions"])
    _check_set(
        found,
        "response",
        (name for name, _ in base.get("responses") or ()),
        (name for name, _ in current["responses"]),
    )
    _check_named(found, "form", base.get("forms"), current["forms"], None)


def _check_set(found: _Differences, kind: str, before: Iterable[str], after: Iterable[str]) -> None:
    old, new = set(before), set(after)
    for name in sorted(new - old):
        found.add(kind, name, "added", f"{kind} '{name}' added to the domain")
    for name in sorted(old - new):
        found.add(kind, name, "removed", f"{kind} '{name}' removed from the domain")


SettingsCheck = Callable[["_Differences", str, Mapping[str, Any], Mapping[str, Any]], None]


def _check_named(
    found: _Differences,
    kind: str,
    before: Iterable[Mapping[str, Any]] | None,
    after: Iterable[Mapping[str, Any]],
    compare: SettingsCheck | None,
) -> None:
    old = {str(item["name"]): item for item in before or ()}
    new = {str(item["name"]): item for item in after}
    _check_set(found, kind, old, new)
    if compare is not None:
        for name in sorted(set(old) & set(new)):
            compare(found, name, old[name], new[name])


def _intent_settings(
    found: _Differences, name: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> None:
    for key in ("is_retrieval", "use_entities", "ignore_entities"):
        if old.get(key) != new.get(key):
            found.add(
                "intent",
                name,
                "changed",
                f"{key} changed {_show(old.get(key))} -> {_show(new.get(key))}",
            )


def _entity_settings(
    found: _Differences, name: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> None:
    for key, kind in (("roles", "role"), ("groups", "group")):
        before, after = set(old.get(key) or ()), set(new.get(key) or ())
        for label in sorted(after - before):
            found.add(kind, label, "added", f"{kind} '{label}' added to entity '{name}'")
        for label in sorted(before - after):
            found.add(kind, label, "removed", f"{kind} '{label}' removed from entity '{name}'")


def _slot_settings(
    found: _Differences, name: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> None:
    for key in SLOT_ASPECTS:
        if old.get(key) != new.get(key):
            what = "mapping" if key == "mappings" else key
            found.add(
                "slot",
                name,
                "changed",
                f"{what} changed {_show(old.get(key))} -> {_show(new.get(key))}",
            )


# ----------------------------------------------------------------------------------- helpers


class _Differences:
    """Differences in the order found, each (kind, name, change) once."""

    def __init__(self) -> None:
        self.items: list[Difference] = []
        self._seen: set[tuple[str, str, str, str]] = set()
        self._labels: set[tuple[str, str, str]] = set()

    def add(self, kind: str, name: str, change: str, detail: str) -> None:
        # a label added to the domain and to the examples is one difference, not two
        label_key = (kind, name, change)
        if change in ("added", "removed") and label_key in self._labels:
            return
        key = (kind, name, change, detail)
        if key in self._seen:
            return
        self._seen.add(key)
        self._labels.add(label_key)
        self.items.append(Difference(kind, name, change, detail))


def _jsonable(value: Any) -> Any:
    """Tuples as lists, keys as strings: the shape the metadata has after its JSON round trip."""
    return json.loads(json.dumps(value, sort_keys=True, default=repr))


def _changed(what: str, before: Any, after: Any) -> str:
    return f"{what} changed {_show(before)} -> {_show(after)}"


def _show(value: Any) -> str:
    if value is None or isinstance(value, str):
        return str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


def _plural(kind: str) -> str:
    if kind.endswith("y"):
        return kind[:-1] + "ies"
    return kind + "s"
