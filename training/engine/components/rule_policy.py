"""RulePolicy: rules, the active loop's happy path, default actions and the core fallback.

A rule is learned as patterns: for each of its actions, the states since the rule began (each
a ``RuleState`` that names only what the rule says: the intent, entities, slots, loop, previous
action) and the action. A rule matches when its patterns fit the latest conversation states
(all of them from the start for ``conversation_start`` rules); the most specific match wins.
Every prediction has confidence 1.0. Order (as in Rasa): default intents (``restart``,
``back``, ``session_start``), then the active loop's happy path (run it again after a user
turn it can use, see ``dialogue.loops``; listen after it ran) unless a rule naming that loop
matches the user's turn, then rules (while a loop is active, a rule that would listen hands
back to the loop), then the core fallback at ``core_fallback_threshold`` after a user turn
no rule knows.
The bot listens after the last action of every rule (``wait_for_user_input``) and after an
action that ends a story and never precedes another action anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from training.engine.component import Component, TrainContext, TrainInputs, register
from training.engine.data import DomainSpec, SlotSpec, StoryEvent
from training.engine.dialogue.loops import LoopSpec, loop_specs
from training.engine.dialogue.policy import RULE_PRIORITY, PolicyPrediction, certain
from training.engine.dialogue.states import (
    ACTION_LISTEN,
    DialogueState,
    entity_names,
    intent_spec,
    slot_feature,
    slot_spec,
)
from training.engine.dialogue.trackers import (
    dialogue_samples,
    expand_named_stories,
    training_dialogues,
)

RULES_FILE = "rules.json"
UNSET = "__unset__"  # a rule's slot that must be empty
ANY_VALUE = "__any_value__"  # a rule's slot that must be filled, whatever the value
NO_LOOP = "__no_loop__"  # a rule's loop state: no loop may be active
DEFAULT_INTENT_ACTIONS = {
    "restart": "action_restart",
    "back": "action_back",
    "session_start": "action_session_start",
}
LISTEN_AFTER = frozenset(
    {
        "action_default_fallback",
        "action_default_ask_affirmation",
        "action_default_ask_rephrase",
        "action_two_stage_fallback",
        "action_back",
        "action_session_start",
    }
)


@dataclass(frozen=True)
class RuleState:
    """What a rule requires of one conversation state (None: anything)."""

    intent: str | None = None
    entities: tuple[str, ...] = ()  # all of them present
    slots: tuple[tuple[str, str], ...] = ()  # (name, featurized value or UNSET)
    active_loop: str | None = None  # a loop name, NO_LOOP, or None: any
    prev_action: str | None = None

    def matches(self, state: DialogueState, next_action: str | None = None) -> bool:
        """``next_action``: the action that followed ``state``; a loop it started counts as
        active (a live loop becomes active only after its first run)."""
        if self.intent is not None and self.intent != state.intent:
            return False
        if self.prev_action is not None and self.prev_action != state.prev_action:
            return False
        loop = self.active_loop
        if loop is not None and loop != (state.active_loop or NO_LOOP) and loop != next_action:
            return False
        if self.entities and not set(self.entities) <= set(state.entities):
            return False
        if not self.slots:
            return True
        slots = dict(state.slots)
        return all(
            name in slots if value == ANY_VALUE else slots.get(name, UNSET) == value
            for name, value in self.slots
        )

    def weight(self) -> int:
        named = (self.intent, self.active_loop, self.prev_action)
        return 1 + sum(x is not None for x in named) + len(self.entities) + len(self.slots)

    def as_json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "entities": list(self.entities),
            "slots": [list(pair) for pair in self.slots],
            "active_loop": self.active_loop,
            "prev_action": self.prev_action,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RuleState:
        return cls(
            intent=raw["intent"],
            entities=tuple(raw["entities"]),
            slots=tuple((str(name), str(value)) for name, value in raw["slots"]),
            active_loop=raw["active_loop"],
            prev_action=raw["prev_action"],
        )


@dataclass(frozen=True)
class Rule:
    states: tuple[RuleState, ...]
    action: str
    conversation_start: bool = False
    source: str = ""

    def matches(self, states: Sequence[DialogueState]) -> bool:
        size = len(self.states)
        if size > len(states) or (self.conversation_start and size != len(states)):
            return False
        if not self.states[-1].matches(states[-1]):  # the current state first: it rules most out
            return False
        recent = states[len(states) - size :]
        following = [state.prev_action for state in recent[1:]] + [None]
        return all(
            pattern.matches(state, next_action)
            for pattern, state, next_action in zip(self.states, recent, following, strict=True)
        )

    def weight(self) -> int:
        return sum(state.weight() for state in self.states)

    def names_loop(self, loop: str) -> bool:
        return any(state.active_loop == loop for state in self.states)

    def names_loop_and_intent(self, loop: str) -> bool:
        return self.states[-1].intent is not None and self.names_loop(loop)

    def key(self) -> str:
        return json.dumps(
            [self.conversation_start, [s.as_json() for s in self.states]], sort_keys=True
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "states": [state.as_json() for state in self.states],
            "action": self.action,
            "conversation_start": self.conversation_start,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Rule:
        return cls(
            tuple(RuleState.from_json(state) for state in raw["states"]),
            str(raw["action"]),
            bool(raw["conversation_start"]),
            str(raw.get("source", "")),
        )


@dataclass(frozen=True)
class _RuleIndex:
    """The rules by their last step's intent and previous action (either may be unnamed): a
    prediction checks only the rules whose last step can match the current state, in the
    rules' order, instead of every rule."""

    rules: list[Rule]  # the list indexed, and its length then: a changed list is indexed anew
    size: int
    by_last_step: dict[tuple[str | None, str | None], list[tuple[int, Rule]]]

    @staticmethod
    def of(rules: list[Rule]) -> _RuleIndex:
        by_last_step: dict[tuple[str | None, str | None], list[tuple[int, Rule]]] = {}
        for position, rule in enumerate(rules):
            last = rule.states[-1]
            by_last_step.setdefault((last.intent, last.prev_action), []).append((position, rule))
        return _RuleIndex(rules, len(rules), by_last_step)

    def candidates(self, state: DialogueState) -> list[Rule]:
        keys = {
            (state.intent, state.prev_action),
            (state.intent, None),
            (None, state.prev_action),
            (None, None),
        }
        found = [entry for key in keys for entry in self.by_last_step.get(key, ())]
        found.sort(key=itemgetter(0))  # the rules' order: the first of equal weight wins
        return [rule for _, rule in found]


@register
class RulePolicy(Component):
    name = "RulePolicy"
    kind = "policy"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.rules: list[Rule] = []
        self.loops: dict[str, LoopSpec] = {}
        self._index: _RuleIndex | None = None

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {
            "priority": RULE_PRIORITY,
            "core_fallback_threshold": 0.3,
            "core_fallback_action_name": "action_default_fallback",
            "enable_fallback_prediction": True,
        }

    @property
    def priority(self) -> int:
        return int(self.config.get("priority", RULE_PRIORITY))

    def train(self, inputs: TrainInputs, context: TrainContext) -> dict[str, float]:
        domain = inputs.data.domain
        learned: dict[str, Rule | None] = {}
        for story in (s for s in inputs.data.stories if s.is_rule):
            for name, events in expand_named_stories([story]):
                for rule in rules_from_events(
                    events,
                    domain,
                    listen_at_end=story.wait_for_user_input,
                    conversation_start=story.conversation_start,
                    source=name,
                ):
                    _learn(learned, rule)
        for rule in _story_end_listens(inputs, domain):
            learned.setdefault(rule.key(), rule)
        self.rules = [rule for _, rule in sorted(learned.items()) if rule is not None]
        self.loops = loop_specs(domain)
        return {
            "rules": float(len(self.rules)),
            "conflicts": float(sum(1 for rule in learned.values() if rule is None)),
        }

    def predict(
        self, states: Sequence[DialogueState], actions: Sequence[str] = ()
    ) -> PolicyPrediction | None:
        if not states:
            return None
        current = states[-1]
        listening = current.prev_action == ACTION_LISTEN
        if listening and current.intent in DEFAULT_INTENT_ACTIONS:
            return self._certain(DEFAULT_INTENT_ACTIONS[current.intent])
        matching = [rule for rule in self._candidates(current) if rule.matches(states)]
        best = max(matching, key=lambda rule: rule.weight()) if matching else None
        loop = current.active_loop
        if loop is not None:
            happy = not any(rule.names_loop_and_intent(loop) for rule in matching)
            if happy and current.prev_action == loop:
                return self._certain(ACTION_LISTEN)
            if happy and listening and current.intent is not None and self._accepts(loop, current):
                return self._certain(loop)
            if best is not None and best.action == ACTION_LISTEN and not best.names_loop(loop):
                return self._certain(loop)  # a digression's rule done: back to the loop
        if best is not None:
            return self._certain(best.action)
        if current.prev_action in LISTEN_AFTER:
            return self._certain(ACTION_LISTEN)
        if listening and current.intent is not None and self.config["enable_fallback_prediction"]:
            action = str(self.config["core_fallback_action_name"])
            confidence = float(self.config["core_fallback_threshold"])
            return PolicyPrediction(
                self.name, action, confidence, self.priority, ((action, confidence),)
            )
        return None

    def _candidates(self, current: DialogueState) -> list[Rule]:
        index = self._index
        if index is None or index.rules is not self.rules or index.size != len(self.rules):
            index = self._index = _RuleIndex.of(self.rules)
        return index.candidates(current)

    def _accepts(self, loop: str, state: DialogueState) -> bool:
        spec = self.loops.get(loop)
        return spec is None or spec.accepts(state)

    def _certain(self, action: str) -> PolicyPrediction:
        return certain(self.name, action, self.priority)

    def persist(self, directory: Path) -> None:
        payload = {
            "rules": [rule.as_json() for rule in self.rules],
            "loops": [spec.as_json() for _, spec in sorted(self.loops.items())],
        }
        (directory / RULES_FILE).write_text(
            json.dumps(payload, sort_keys=True, ensure_ascii=False, indent=1), encoding="utf-8"
        )

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> RulePolicy:
        policy = cls(config)
        payload = json.loads((directory / RULES_FILE).read_text(encoding="utf-8"))
        policy.rules = [Rule.from_json(raw) for raw in payload["rules"]]
        loops = (LoopSpec.from_json(raw) for raw in payload["loops"])
        policy.loops = {spec.name: spec for spec in loops}
        return policy


def _learn(learned: dict[str, Rule | None], rule: Rule) -> None:
    """Rules with the same patterns and different actions contradict: both are dropped."""
    key = rule.key()
    if key not in learned:
        learned[key] = rule
        return
    existing = learned[key]
    if existing is not None and existing.action != rule.action:
        learned[key] = None


def rules_from_events(
    events: Iterable[StoryEvent],
    domain: DomainSpec,
    *,
    listen_at_end: bool = True,
    conversation_start: bool = False,
    source: str = "",
) -> list[Rule]:
    """One rule per action of a flat rule (condition first): its patterns so far, the action."""
    builder = _RuleBuilder(domain, conversation_start, source)
    for event in events:
        builder.apply(event)
    if listen_at_end:
        builder.listen()
    return builder.rules


class _RuleBuilder:
    def __init__(self, domain: DomainSpec, conversation_start: bool, source: str) -> None:
        self.domain = domain
        self.conversation_start = conversation_start
        self.source = source
        self.intent: str | None = None
        self.entities: tuple[str, ...] = ()
        self.slots: dict[str, str] = {}
        self.active_loop: str | None = None
        # unknown until the rule says: a rule may begin anywhere in a conversation
        self.prev_action: str | None = ACTION_LISTEN if conversation_start else None
        self.history: list[RuleState] = []
        self.rules: list[Rule] = []
        self.loops: dict[str, LoopSpec] = {}
        self.last_kind: str | None = None

    def state(self) -> RuleState:
        return RuleState(
            self.intent,
            self.entities,
            tuple(sorted(self.slots.items())),
            self.active_loop,
            self.prev_action,
        )

    def apply(self, event: StoryEvent) -> None:
        if event.kind in ("intent", "user"):
            if self.prev_action is None:
                self.prev_action = ACTION_LISTEN  # the rule begins with a user turn
            self.listen()
            self.intent = event.name if event.kind == "intent" else None
            self.entities = entity_names(event.entities, intent_spec(self.domain, self.intent))
        elif event.kind == "action" and event.name == ACTION_LISTEN:
            self.listen()
        elif event.kind == "action":
            self._act(str(event.name))
        elif event.kind == "bot" and self.last_kind != "action":
            self._act(f"bot: {event.text}")
        elif event.kind == "slot" and event.name is not None:
            spec = slot_spec(self.domain, event.name)
            if spec is None or spec.influence_conversation:
                self.slots[event.name] = _slot_condition(spec, event.value)
        elif event.kind == "active_loop":
            self.active_loop = event.name or NO_LOOP
        self.last_kind = event.kind

    def listen(self) -> None:
        if self.prev_action not in (None, ACTION_LISTEN):
            self._act(ACTION_LISTEN)

    def _act(self, action: str) -> None:
        states = (*self.history, self.state())
        # a rule that begins with an action doesn't predict it: it is where the rule picks up
        if self.prev_action is not None:
            self.rules.append(Rule(states, action, self.conversation_start, self.source))
        self.history.append(self.state())
        self.prev_action = action


def _slot_condition(spec: SlotSpec | None, value: Any) -> str:
    # ``slot_was_set: [name]`` (no value) reaches us as True: any value will do
    if value is True and (spec is None or spec.type != "bool"):
        return ANY_VALUE
    return slot_feature(spec, value) or UNSET


def _story_end_listens(inputs: TrainInputs, domain: DomainSpec) -> list[Rule]:
    """``prev_action: X -> action_listen`` for each X that ends a story or rule and is never
    followed by another action."""
    followed: set[str] = set()
    endings: set[str] = set()
    dialogues = training_dialogues(inputs.data.stories, augmentation_factor=0)
    for dialogue in dialogues:
        samples = dialogue_samples(dialogue, domain)
        for states, action in samples:
            previous = states[-1].prev_action
            if action != ACTION_LISTEN and previous not in (None, ACTION_LISTEN):
                followed.add(str(previous))
        actions = [action for _, action in samples if action != ACTION_LISTEN]
        if actions and dialogue.listen_at_end:
            endings.add(actions[-1])
    return [
        Rule((RuleState(prev_action=action),), ACTION_LISTEN, source=f"after {action}")
        for action in sorted(endings - followed)
    ]
