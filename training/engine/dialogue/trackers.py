"""Training dialogues from stories and rules: ``or`` steps and checkpoints expanded, stories
glued end to start by augmentation, and the (states, next action) samples policies learn from.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from training.engine.data import DomainSpec, StoryEvent, StorySpec
from training.engine.dialogue.states import ACTION_LISTEN, DialogueState, StateTracker

# bounds on the expansion of ``or`` steps and checkpoints, so that a story graph can't explode
MAX_VARIANTS_PER_STORY = 64
MAX_CHECKPOINT_JOINS = 4
MAX_JOINED_STORIES = 5000
DEFAULT_AUGMENTATION_FACTOR = 50
# as in Rasa: up to ten glued dialogues per unit of the augmentation factor
GLUED_PER_FACTOR = 10

Sample = tuple[tuple[DialogueState, ...], str]


@dataclass(frozen=True)
class TrainingDialogue:
    name: str
    events: tuple[StoryEvent, ...]
    is_rule: bool = False
    augmented: bool = False
    # rules only: whether the bot listens after the rule's last action
    listen_at_end: bool = True


def training_dialogues(
    stories: Sequence[StorySpec],
    *,
    augmentation_factor: int = DEFAULT_AUGMENTATION_FACTOR,
    seed: int = 42,
    include_rules: bool = True,
) -> list[TrainingDialogue]:
    """Flat dialogues: every story path, then (stories only) ``augmentation_factor * 10`` at most
    distinct pairs of story paths glued end to start, drawn with ``seed``; rules last."""
    story_paths = [
        TrainingDialogue(name, tuple(events))
        for name, events in expand_named_stories([s for s in stories if not s.is_rule])
    ]
    dialogues = [*story_paths, *_glued(story_paths, augmentation_factor, seed)]
    if include_rules:
        for rule in (s for s in stories if s.is_rule):
            for name, events in expand_named_stories([rule]):
                dialogues.append(
                    TrainingDialogue(
                        name, tuple(events), is_rule=True, listen_at_end=rule.wait_for_user_input
                    )
                )
    return dialogues


def _glued(
    paths: Sequence[TrainingDialogue], augmentation_factor: int, seed: int
) -> list[TrainingDialogue]:
    if augmentation_factor <= 0 or len(paths) < 1:
        return []
    rng = random.Random(seed)
    wanted = min(augmentation_factor * GLUED_PER_FACTOR, len(paths) * len(paths))
    chosen: dict[tuple[int, int], None] = {}
    for _ in range(wanted * 4):
        if len(chosen) >= wanted:
            break
        chosen.setdefault((rng.randrange(len(paths)), rng.randrange(len(paths))), None)
    return [
        TrainingDialogue(
            f"{paths[first].name} > {paths[second].name}",
            (*paths[first].events, *paths[second].events),
            augmented=True,
        )
        for first, second in chosen
    ]


def dialogue_samples(dialogue: TrainingDialogue, domain: DomainSpec) -> list[Sample]:
    return training_samples(dialogue.events, domain, listen_at_end=dialogue.listen_at_end)


def training_samples(
    events: Iterable[StoryEvent], domain: DomainSpec, *, listen_at_end: bool = True
) -> list[Sample]:
    """(states up to a bot action, that action) for every action of a flat event list.

    The bot listens (``action_listen``) after its last action before a user turn and, with
    ``listen_at_end``, after the story's last action.
    """
    tracker = StateTracker(domain)
    samples: list[Sample] = []
    for event in events:
        user_turn = event.kind in ("intent", "user")
        if (user_turn or (event.kind == "action" and event.name == ACTION_LISTEN)) and (
            not tracker.listening
        ):
            samples.append((tracker.states(), ACTION_LISTEN))
        elif event.kind == "action" and event.name != ACTION_LISTEN:
            samples.append((tracker.states(), str(event.name)))
        elif event.kind == "bot" and tracker.last_kind != "action":
            samples.append((tracker.states(), f"bot: {event.text}"))
        tracker.apply(event)
    if listen_at_end and not tracker.listening:
        samples.append((tracker.states(), ACTION_LISTEN))
    return samples


# ------------------------------------------------------------------ or-steps, checkpoints


def expand_stories(stories: Sequence[StorySpec]) -> list[list[StoryEvent]]:
    """Flat event lists: ``or`` steps expanded, checkpoints joined, rule conditions prefixed."""
    return [events for _, events in expand_named_stories(stories)]


def expand_named_stories(stories: Sequence[StorySpec]) -> list[tuple[str, list[StoryEvent]]]:
    """``expand_stories`` with each path's name (joined stories: "first > second")."""
    starting: dict[str, list[tuple[str, list[StoryEvent]]]] = {}
    roots: list[tuple[str, list[StoryEvent]]] = []
    for story in stories:
        for events in _or_variants(_prefixed(story)):
            heads = _leading_checkpoints(events)
            body = events[len(heads) :]
            if heads:
                for head in heads:
                    starting.setdefault(head, []).append((story.name, body))
            else:
                roots.append((story.name, body))
    flat: list[tuple[str, list[StoryEvent]]] = []
    for root in roots:
        flat.extend(_joined(root, starting, MAX_CHECKPOINT_JOINS))
        if len(flat) >= MAX_JOINED_STORIES:
            break
    return [(name, _without_checkpoints(events)) for name, events in flat[:MAX_JOINED_STORIES]]


def _prefixed(story: StorySpec) -> list[StoryEvent]:
    return [*story.condition, *story.events]


def _or_variants(events: list[StoryEvent]) -> list[list[StoryEvent]]:
    choices = [list(event.alternatives) if event.kind == "or" else [event] for event in events]
    variants = itertools.islice(itertools.product(*choices), MAX_VARIANTS_PER_STORY)
    return [list(variant) for variant in variants]


def _leading_checkpoints(events: list[StoryEvent]) -> list[str]:
    heads: list[str] = []
    for event in events:
        if event.kind != "checkpoint":
            break
        heads.append(str(event.name))
    return heads


def _joined(
    path: tuple[str, list[StoryEvent]],
    starting: dict[str, list[tuple[str, list[StoryEvent]]]],
    joins_left: int,
) -> list[tuple[str, list[StoryEvent]]]:
    name, events = path
    tail = events[-1] if events else None
    if tail is None or tail.kind != "checkpoint" or joins_left == 0:
        return [path]
    continuations = starting.get(str(tail.name), [])
    if not continuations:
        return [path]
    joined: list[tuple[str, list[StoryEvent]]] = []
    for next_name, continuation in continuations:
        joined.extend(
            _joined(
                (f"{name} > {next_name}", [*events[:-1], *continuation]), starting, joins_left - 1
            )
        )
    return joined


def _without_checkpoints(events: list[StoryEvent]) -> list[StoryEvent]:
    return [event for event in events if event.kind != "checkpoint"]
