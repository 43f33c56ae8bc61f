"""Interactive learning: a corrected story changes a model's behaviour on the spot, no retrain.

Two steps, so that an app can answer at once and train in the background:

* ``remember_story(model, story)`` (synchronous, a few milliseconds): a NEW model whose
  memoization policies (``MemoizationPolicy``, ``AugmentedMemoizationPolicy``) remember every
  (window, action) of the story exactly, overriding what they remembered for the same window.
  A model without a memoization policy gets an ``InteractiveMemoryPolicy`` (memoization of the
  corrections alone, at memoization priority, a node of its own in the archive). RulePolicy's
  story-end rules ("listen after X") that the story contradicts (X followed by an action) are
  dropped, as a retrain would drop them. Rules the user wrote still win over a story, as in a
  retrain: the turns they still decide otherwise are listed in the metadata (``overridden``).
* ``update_ml_policies(model)`` (TensorFlow, seconds): a NEW model whose ML window policies
  (TEDPolicy, KerasPolicy) took ``steps`` gradient steps on the samples of every story learned
  so far, mixed with as many samples replayed from their own training data (``replay``, stored
  with the policy; a policy from an older archive has none and trains on the stories alone).

``learn_story`` does both. Models are never changed in place: the base model keeps predicting
as before and can be shared between threads; the new one is an ``InteractiveModel`` (kind
``interactive``, the base as its parent) that ``save_model`` writes as a new archive, or that
the caller throws away. Learning on an unsaved interactive model folds into it (same parent,
the stories accumulate); learning on a loaded interactive archive makes that archive the parent.

A story must stay within the model's domain (intents, entities, slots, forms, actions): an
``OnlineLearningError`` names every step that doesn't.
"""

from __future__ import annotations

import copy
import math
import random
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from training.engine.archive import NODES, new_model_id, write_archive
from training.engine.component import Component, component_class
from training.engine.components.memoization import InteractiveMemoryPolicy, MemoizationPolicy
from training.engine.components.rule_policy import RulePolicy, RuleState
from training.engine.components.window_policy import WindowPolicy
from training.engine.data import DomainSpec, StoryEvent, StorySpec
from training.engine.dialogue.actions import action_names
from training.engine.dialogue.ensemble import PolicyEnsemble
from training.engine.dialogue.states import ACTION_LISTEN, DialogueState
from training.engine.dialogue.trackers import Sample, expand_named_stories, training_samples
from training.engine.model import Model

INTERACTIVE = "interactive"  # the metadata's ``kind``
MEMORY_NODE = "interactive_memory"
DEFAULT_STEPS = 10
MIN_REPLAY = 16  # replayed samples per update, at least (when the policy has as many)
# intents Rasa knows without a domain declaring them
DEFAULT_INTENTS = frozenset({"restart", "back", "session_start", "out_of_scope", "nlu_fallback"})

Story = StorySpec | Sequence[StoryEvent]


class OnlineLearningError(ValueError):
    """The story can't be learned (outside the domain, nothing to learn, ...)."""


@dataclass(frozen=True)
class LearnedStory:
    """One flat path of a learned story, as the metadata lists it."""

    name: str
    events: tuple[StoryEvent, ...]
    listen_at_end: bool = False

    def samples(self, domain: DomainSpec) -> list[Sample]:
        return training_samples(self.events, domain, listen_at_end=self.listen_at_end)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "events": [asdict(event) for event in self.events],
            "listen_at_end": self.listen_at_end,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> LearnedStory:
        return cls(
            str(raw["name"]),
            tuple(_event_from_json(event) for event in raw["events"]),
            bool(raw.get("listen_at_end", False)),
        )


class InteractiveModel(Model):
    """A model learned on the fly, in memory only until ``save_model`` writes it.

    ``files_from``: the loaded model whose unpacked archive holds the state of every node this
    model did not change (``changed``); kept alive here so that its files stay.
    """

    def __init__(
        self,
        metadata: dict[str, Any],
        pipeline: list[Component],
        policies: list[Component],
        *,
        files_from: Model | None,
        changed: frozenset[str],
    ) -> None:
        super().__init__(metadata, pipeline, policies)
        self.files_from = files_from
        self.changed = changed

    @property
    def learned_stories(self) -> tuple[LearnedStory, ...]:
        return learned_stories(self)


def learned_stories(model: Model) -> tuple[LearnedStory, ...]:
    """Every story learned interactively since the last full or fine-tune training."""
    return tuple(LearnedStory.from_json(raw) for raw in model.metadata.get("learned_stories", ()))


# ------------------------------------------------------------------ the API


def learn_story(
    model: Model,
    story: Story,
    *,
    steps: int = DEFAULT_STEPS,
    seed: int = 42,
    listen_at_end: bool = False,
    name: str = "interactive story",
) -> InteractiveModel:
    """``remember_story``, then ``update_ml_policies`` (skipped for ``steps`` 0)."""
    remembered = remember_story(model, story, listen_at_end=listen_at_end, name=name)
    if steps <= 0:
        return remembered
    return update_ml_policies(remembered, steps=steps, seed=seed)


def remember_story(
    model: Model,
    story: Story,
    *,
    listen_at_end: bool = False,
    name: str = "interactive story",
) -> InteractiveModel:
    """A new model that predicts every action of ``story`` in the story's contexts.

    ``story``: a ``StorySpec`` (``or`` steps and checkpoints expanded) or a conversation's
    events, the corrected action included. Only the actions the story shows are learned;
    ``listen_at_end`` also teaches ``action_listen`` after its last action (as training does
    for a finished story).
    """
    domain = model.ensemble.domain
    paths = _paths(story, name, listen_at_end)
    known = _known_actions(model)
    samples = [sample for path in paths for sample in _checked_samples(path, domain, known)]

    entries = [dict(entry) for entry in model.metadata.get("policies", ())]
    policies = list(model.policies)
    changed: set[str] = set()
    if not any(isinstance(policy, MemoizationPolicy) for policy in policies):
        memory = InteractiveMemoryPolicy({})
        entries.append(_node_entry(MEMORY_NODE, memory))
        policies.append(memory)
    for i, policy in enumerate(policies):
        updated: Component | None = None
        if isinstance(policy, MemoizationPolicy):
            updated = _memorized(policy, samples)
        elif isinstance(policy, RulePolicy):
            updated = _without_contradicted_story_ends(policy, samples)
        if updated is not None:
            policies[i] = updated
            changed.add(str(entries[i]["name"]))

    metadata = _derived_metadata(model)
    metadata["policies"] = entries
    learned = _derived_model(model, metadata, policies, changed)
    # not shared yet: its metadata can still take what its own ensemble makes of the story
    metadata["learned_stories"] = [
        *metadata.get("learned_stories", ()),
        *(
            {**path.as_json(), "overridden": _overridden(path, domain, learned.ensemble)}
            for path in paths
        ),
    ]
    return learned


def update_ml_policies(
    model: Model, *, steps: int = DEFAULT_STEPS, seed: int = 42
) -> InteractiveModel:
    """A new model whose ML window policies took ``steps`` gradient steps (one batch each) on
    every story the model learned interactively, mixed with replayed training samples.

    Runs TensorFlow: call it in the background and swap the model in when it returns (only if
    the served model is still ``model``; else run it again on the newer one).
    """
    if steps <= 0:
        raise OnlineLearningError(f"steps must be positive, not {steps}")
    stories = learned_stories(model)
    if not stories:
        raise OnlineLearningError("the model learned no story yet: call remember_story first")
    domain = model.ensemble.domain
    samples = [sample for story in stories for sample in story.samples(domain)]
    policies = list(model.policies)
    entries = list(model.metadata.get("policies", ()))
    changed: set[str] = set()
    report: dict[str, dict[str, float]] = {}
    for i, policy in enumerate(policies):
        if isinstance(policy, WindowPolicy) and policy.weights:
            node = str(entries[i]["name"])
            policies[i], report[node] = _stepped(policy, samples, steps, seed + i)
            changed.add(node)
    metadata = _derived_metadata(model)
    metadata["ml_update"] = {"steps": steps, "seed": seed, "policies": report}
    return _derived_model(model, metadata, policies, changed)


def save_model(model: Model, directory: Path) -> Path:
    """Write an interactive model as a new archive in ``directory`` (``Model.load`` reads it);
    unchanged nodes keep their stored state byte for byte."""
    if not isinstance(model, InteractiveModel):
        raise OnlineLearningError(
            "only a model from learn_story / remember_story / update_ml_policies can be saved"
        )
    metadata = {**model.metadata, "created": datetime.now(UTC).isoformat()}
    components = [*model.pipeline, *model.policies]
    entries = [*metadata.get("pipeline", ()), *metadata.get("policies", ())]
    source = model.files_from.directory if model.files_from is not None else None
    workspace = Path(tempfile.mkdtemp(prefix=".parley-interactive-"))
    try:
        node_dirs: dict[str, Path] = {}
        for entry, component in zip(entries, components, strict=True):
            node = str(entry["name"])
            stored = source / NODES / node if source is not None else None
            if node in model.changed or stored is None or not stored.is_dir():
                stored = workspace / node
                stored.mkdir()
                component.persist(stored)
            node_dirs[node] = stored
        return write_archive(out_dir=directory, metadata=metadata, node_dirs=node_dirs)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


# ------------------------------------------------------------------ the story


def _paths(story: Story, name: str, listen_at_end: bool) -> list[LearnedStory]:
    if isinstance(story, StorySpec):
        if story.is_rule:
            raise OnlineLearningError(f"{story.name!r} is a rule: only stories can be learned")
        spec = story
    else:
        spec = StorySpec(name, tuple(story))
    paths = [
        LearnedStory(path_name, tuple(events), listen_at_end)
        for path_name, events in expand_named_stories([spec])
    ]
    if not paths:  # it starts at a checkpoint no other story of it leads to
        raise OnlineLearningError(f"story {spec.name!r} has no bot action to learn")
    return paths


def _known_actions(model: Model) -> set[str]:
    """The domain's actions, and the end-to-end bot turns an ML policy learned."""
    known = set(action_names(model.ensemble.domain))
    for policy in model.policies:
        if isinstance(policy, WindowPolicy):
            known.update(policy.actions)
    return known


def _checked_samples(path: LearnedStory, domain: DomainSpec, known: set[str]) -> list[Sample]:
    problems = [
        f"step {step + 1}: {problem}"
        for step, event in enumerate(path.events)
        for problem in _event_problems(event, domain)
    ]
    samples = path.samples(domain)
    problems += [
        f"action {action!r} is not in the domain"
        for action in dict.fromkeys(action for _, action in samples)
        if action not in known
    ]
    if problems:
        raise OnlineLearningError(
            f"story {path.name!r} is outside the model's domain (add it to the domain and "
            f"train): {'; '.join(problems)}"
        )
    if not samples:
        raise OnlineLearningError(f"story {path.name!r} has no bot action to learn")
    return samples


def _event_problems(event: StoryEvent, domain: DomainSpec) -> Iterable[str]:
    if event.kind == "intent":
        if event.name not in {i.name for i in domain.intents} | DEFAULT_INTENTS:
            yield f"unknown intent {event.name!r}"
        entities = {e.name for e in domain.entities}
        for entity in event.entities:
            if entity.get("entity") not in entities:
                yield f"unknown entity {entity.get('entity')!r}"
    elif event.kind == "slot":
        if event.name != "requested_slot" and event.name not in {s.name for s in domain.slots}:
            yield f"unknown slot {event.name!r}"
    elif event.kind == "active_loop":
        loops = {form.name for form in domain.forms} | set(domain.actions)
        if event.name is not None and event.name not in loops:
            yield f"unknown form {event.name!r}"
    elif event.kind not in ("action", "bot", "user", "restart", "session_started"):
        yield f"a {event.kind!r} step can't be learned interactively"


# ------------------------------------------------------------------ the policies


def _memorized(policy: MemoizationPolicy, samples: Sequence[Sample]) -> MemoizationPolicy:
    updated = copy.copy(policy)
    updated.lookup = {
        **policy.lookup,
        **{policy.key_of(states): action for states, action in samples},
    }
    return updated


def _without_contradicted_story_ends(
    policy: RulePolicy, samples: Sequence[Sample]
) -> RulePolicy | None:
    """RulePolicy less its "listen after X" story-end rules for each X the story follows with
    another action (what a retrain with the story would learn); None when none goes."""
    followed = {
        states[-1].prev_action
        for states, action in samples
        if action != ACTION_LISTEN and states[-1].prev_action not in (None, ACTION_LISTEN)
    }
    ends = {(RuleState(prev_action=action),) for action in followed}
    kept = [
        rule
        for rule in policy.rules
        if not (
            rule.action == ACTION_LISTEN
            and rule.states in ends
            and rule.source == f"after {rule.states[0].prev_action}"
        )
    ]
    if len(kept) == len(policy.rules):
        return None
    updated = copy.copy(policy)
    updated.rules = kept
    return updated


def _overridden(
    path: LearnedStory, domain: DomainSpec, ensemble: PolicyEnsemble
) -> list[dict[str, Any]]:
    """The story's actions the new model still predicts otherwise (a rule decides there)."""
    found = []
    for index, (states, action) in enumerate(path.samples(domain)):
        decision = ensemble.decide(states)
        if decision.action != action:
            found.append(
                {
                    "sample": index,
                    "expected": action,
                    "predicted": decision.action,
                    "policy": decision.policy,
                }
            )
    return found


def _stepped(
    policy: WindowPolicy, samples: Sequence[Sample], steps: int, seed: int
) -> tuple[WindowPolicy, dict[str, float]]:
    """A copy of ``policy`` trained ``steps`` full-batch steps on the story windows (repeated to
    half the batch) and replayed training windows (never one the stories now answer)."""
    history = policy.max_history
    story = list(dict.fromkeys((tuple(states[-history:]), action) for states, action in samples))
    taught = {window for window, _ in story}
    candidates = [(window, action) for window, action in policy.replay if window not in taught]
    wanted = min(len(candidates), max(MIN_REPLAY, len(story)))
    replay = random.Random(seed).sample(candidates, wanted)
    repeats = max(1, math.ceil(len(replay) / len(story)))
    batch: list[tuple[tuple[DialogueState, ...], str]] = [*story * repeats, *replay]
    updated = copy.copy(policy)
    metrics = updated.fit_samples(batch, epochs=steps, seed=seed, batch_size=len(batch))
    return updated, {
        "story_samples": float(len(story)),
        "replay_samples": float(len(replay)),
        **metrics,
    }


# ------------------------------------------------------------------ models and metadata


def _derived_metadata(model: Model) -> dict[str, Any]:
    """The metadata of a new interactive version of ``model``: a new id; an unsaved
    interactive model's parent and count, else ``model`` as the parent and one more
    fine-tune."""
    metadata = dict(model.metadata)
    metadata["id"] = new_model_id()
    metadata["created"] = datetime.now(UTC).isoformat()
    metadata["kind"] = INTERACTIVE
    if not isinstance(model, InteractiveModel):
        metadata["parent_model_id"] = model.id
        metadata["fine_tune_count"] = int(model.metadata.get("fine_tune_count", 0)) + 1
        metadata.pop("ml_update", None)
    return metadata


def _derived_model(
    model: Model, metadata: dict[str, Any], policies: list[Component], changed: set[str]
) -> InteractiveModel:
    if isinstance(model, InteractiveModel):
        files_from, earlier = model.files_from, model.changed
    else:
        files_from, earlier = model, frozenset()
    return InteractiveModel(
        metadata,
        list(model.pipeline),
        policies,
        files_from=files_from,
        changed=earlier | changed,
    )


def _node_entry(name: str, component: Component) -> dict[str, Any]:
    cls = component_class(component.name)
    return {
        "name": name,
        "component": component.name,
        "kind": cls.kind,
        "config": {key: value for key, value in component.config.items() if key != "name"},
        "needs": [],
        "version": cls.version,
    }


def _event_from_json(raw: dict[str, Any]) -> StoryEvent:
    return StoryEvent(
        kind=str(raw["kind"]),
        name=raw.get("name"),
        text=raw.get("text"),
        entities=tuple(dict(entity) for entity in raw.get("entities", ())),
        value=raw.get("value"),
        alternatives=tuple(_event_from_json(item) for item in raw.get("alternatives", ())),
    )
