"""Interactive learning sessions: talk to the assistant, correct it turn by turn, save the
session as training data.

A session is a recorded conversation on the channel ``interactive`` (its events are
``annotation`` Event rows, like any other conversation). Each step is one call:

* ``interactive_parse``: what the model makes of a message (intent, ranking, entities);
* ``interactive_user_message``: record the message with the intent and entities the user
  confirmed or chose (a correction is marked on the event, for the NLU examples at save time);
* ``interactive_predict``: the action the bot wants to run next, with every action's score;
* ``interactive_action``: run the action the user confirmed or chose; a different one than
  predicted is learned on the spot (``training.interactive.learning``);
* ``interactive_undo``, ``interactive_restart``, ``interactive_fork``;
* ``interactive_save``: story (and test story), NLU examples, domain additions, and the
  fine-tune checker's verdict on them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from annotation.models import Action, Assistant, Conversation, Event, Example, Form, Intent
from annotation.models import Response as ResponseItem
from annotation.rasa_io.validation_context import DEFAULT_ACTIONS, DEFAULT_INTENTS
from annotation.selectors.conversations import conversation_story, story_yaml
from annotation.services.conversations import (
    conversation_append_events,
    conversation_get_or_create,
)
from annotation.services.errors import AnnotationError
from annotation.services.inbox import INTERACTIVE_CHANNEL
from annotation.services.items import (
    SpanInput,
    VariationInput,
    action_create,
    example_create,
    example_update,
    intent_create,
    response_create,
)
from annotation.services.review import conversation_save_story
from annotation.tracker import RESETTING, tracker_fold
from training.adapters import training_data_for_assistant
from training.engine.data import StoryEvent
from training.engine.dialogue.actions import action_names
from training.engine.finetune_check import check_finetune
from training.interactive.learning import Learned, interactive_learn, interactive_model_status
from training.runtime.turn import LISTEN, Turn, predict, story_events
from training.serving import (
    ServedModel,
    assistant_active_model,
    assistant_parse,
    conversation_turn,
    turn_record,
)

CHANNEL = INTERACTIVE_CHANNEL
MARK = "interactive"  # the key of an event's metadata that says what the user did
POSITION = "__position"


class InteractiveError(AnnotationError):
    code = "interactive_error"
    http_status = 400


class NoModelError(InteractiveError):
    code = "no_model"
    http_status = 409


class NothingToUndoError(InteractiveError):
    code = "nothing_to_undo"


@dataclass(frozen=True)
class EntityInput:
    entity: str
    value: str
    start: int | None = None
    end: int | None = None
    role: str | None = None
    group: str | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"entity": self.entity, "value": self.value}
        for key in ("start", "end", "role", "group"):
            if getattr(self, key) is not None:
                found[key] = getattr(self, key)
        return found


# ------------------------------------------------------------------------------ helpers


def _served(assistant: Assistant) -> ServedModel:
    served = assistant_active_model(assistant=assistant)
    if served is None:
        raise NoModelError(f"Assistant {assistant.name!r} has no trained model yet: train one.")
    return served


def _turn(assistant: Assistant, served: ServedModel, conversation: Conversation) -> Turn:
    return conversation_turn(
        assistant=assistant, served=served, conversation=conversation, channel=CHANNEL
    )


def _append(conversation: Conversation, served: ServedModel, events: list[dict[str, Any]]) -> None:
    conversation_append_events(
        conversation=conversation,
        events=events,
        slot_defaults=served.domain.slot_defaults(),
        model_id=served.id,
    )


def _applied(conversation: Conversation, served: ServedModel) -> list[dict[str, Any]]:
    """The session's events as they stand (reverts applied), each with its row position."""
    rows = Event.objects.filter(
        conversation=conversation, position__gte=conversation.session_position
    ).order_by("position")
    history = [{**row.data, POSITION: row.position} for row in rows]
    return tracker_fold(history, slot_defaults=served.domain.slot_defaults()).applied


def _awaiting(applied: Sequence[Mapping[str, Any]]) -> str:
    """``user`` when the bot listens, ``action`` when it has an action to run next."""
    for event in reversed(applied):
        kind = event.get("event")
        if kind == "user":
            return "action"
        if kind == "action":
            return "user" if event.get("name") == LISTEN else "action"
    return "user"


def _scores(served: ServedModel, events: Sequence[StoryEvent]) -> dict[str, Any]:
    decision = predict(served.model, events)
    scores = dict(decision.scores) or {decision.action: decision.confidence}
    ensemble = getattr(served.model, "ensemble", None)
    names = action_names(ensemble.domain) if ensemble is not None else ()
    for name in (*names, *served.domain.responses, *served.domain.actions):
        scores.setdefault(name, 0.0)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return {
        "action": decision.action,
        "confidence": decision.confidence,
        "policy": decision.policy,
        "scores": [{"action": a, "score": s} for a, s in ranked],
    }


def _session_sender() -> str:
    return f"interactive-{uuid.uuid4().hex[:12]}"


# ------------------------------------------------------------------------------ sessions


def interactive_session_start(*, assistant: Assistant) -> Conversation:
    """A new interactive session (a conversation on the channel ``interactive``), started."""
    served = _served(assistant)
    conversation = conversation_get_or_create(
        assistant=assistant, sender_id=_session_sender(), channel=CHANNEL, model_id=served.id
    )
    turn = _turn(assistant, served, conversation)
    turn.start_session()
    turn_record(turn, conversation, served)
    return conversation


@transaction.atomic
def interactive_fork(
    *, assistant: Assistant, conversation: Conversation, position: int
) -> Conversation:
    """A new session with the events of ``conversation``'s session up to the event at
    ``position`` (included): from a user message, the bot's next action is to choose."""
    served = _served(assistant)
    rows = list(
        Event.objects.filter(conversation=conversation, position__lte=position)
        .order_by("position")
        .values_list("position", "data")
    )
    if not rows or rows[-1][0] != position:
        raise InteractiveError(f"The conversation has no event at position {position}.")
    start = max(
        (i for i, (_, data) in enumerate(rows) if data.get("event") in RESETTING), default=0
    )
    events = [{**data} for _, data in rows[start:]]
    fork = conversation_get_or_create(
        assistant=assistant, sender_id=_session_sender(), channel=CHANNEL, model_id=served.id
    )
    if not events or events[0].get("event") != "session_started":
        turn = _turn(assistant, served, fork)
        turn.start_session()
        turn_record(turn, fork, served)
        events = [e for e in events if e.get("event") not in RESETTING]
    _append(fork, served, events)
    return fork


def interactive_state(*, assistant: Assistant, conversation: Conversation) -> dict[str, Any]:
    """The session for the page: its events, slots, what comes next (the bot's prediction
    when it has an action to run) and the model served."""
    served = _served(assistant)
    conversation.refresh_from_db()
    applied = _applied(conversation, served)
    awaiting = _awaiting(applied)
    clean = [{k: v for k, v in e.items() if k != POSITION} for e in applied]
    return {
        "id": conversation.pk,
        "sender_id": conversation.sender_id,
        "events": [
            {**{k: v for k, v in event.items() if k != POSITION}, "position": event.get(POSITION)}
            for event in applied
            if event.get("event") in ("user", "bot", "action", "slot", "active_loop")
        ],
        "slots": dict(conversation.slots),
        "awaiting": awaiting,
        "prediction": _scores(served, story_events(clean)) if awaiting == "action" else None,
        "intents": sorted(str(i.get("name")) for i in served.domain.intents),
        "entities": sorted(str(e.get("name")) for e in served.domain.entities),
        "model": interactive_model_status(assistant=assistant),
    }


# ------------------------------------------------------------------------------ messages


def interactive_parse(*, assistant: Assistant, text: str) -> dict[str, Any]:
    """The model's reading of ``text``: intent with confidence, the ranking, entities."""
    _served(assistant)
    return assistant_parse(assistant=assistant, text=text)


def _entity_key(entity: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(entity.get(k) for k in ("entity", "value", "start", "end"))


def interactive_user_message(
    *,
    assistant: Assistant,
    conversation: Conversation,
    text: str,
    intent: str,
    entities: Sequence[EntityInput] | None = None,
) -> dict[str, Any]:
    """Record the user's message with the intent and entities confirmed or chosen (``None``
    entities: the model's); the session's state after it."""
    served = _served(assistant)
    parsed = interactive_parse(assistant=assistant, text=text)
    predicted = (parsed.get("intent") or {}).get("name")
    chosen = [e.as_dict() for e in entities] if entities is not None else parsed.get("entities")
    chosen = list(chosen or [])
    corrected = intent != predicted or sorted(map(_entity_key, chosen)) != sorted(
        map(_entity_key, parsed.get("entities") or [])
    )
    confidence = (parsed.get("intent") or {}).get("confidence") if intent == predicted else 1.0
    parse_data = {
        **parsed,
        "intent": {"name": intent, "confidence": confidence},
        "entities": chosen,
    }
    turn = _turn(assistant, served, conversation)
    turn.receive(
        text,
        parse_data,
        {MARK: {"predicted_intent": predicted, "corrected": corrected}},
    )
    turn_record(turn, conversation, served)
    return interactive_state(assistant=assistant, conversation=conversation)


def interactive_predict(*, assistant: Assistant, conversation: Conversation) -> dict[str, Any]:
    """The action the bot wants to run next, and every action's score, best first."""
    served = _served(assistant)
    return _scores(served, story_events(_turn(assistant, served, conversation).state.applied))


def interactive_action(
    *,
    assistant: Assistant,
    conversation: Conversation,
    name: str,
    response_text: str | None = None,
) -> dict[str, Any]:
    """Run the action ``name`` the user confirmed or chose. Another action than the model's
    is learned on the spot: the session so far with ``name`` after it. A name the domain
    lacks is a new response (with ``response_text``) or a new custom action, recorded as the
    session's to be added to the domain at save time (learned after the next training).

    Returns ``{learned, messages, state}``."""
    served = _served(assistant)
    turn = _turn(assistant, served, conversation)
    decision = predict(served.model, story_events(turn.state.applied))
    corrected = name != decision.action
    learned: Learned | None = None
    # after a correction the turn's next actions are learned too, confirmed or not (a rule
    # may have predicted them); a confirmed listen was learned already (below)
    if corrected or (name != LISTEN and _turn_learned(turn.state.applied)):
        story = [*story_events(turn.state.applied), StoryEvent("action", name=name)]
        # the bot listens after the learned action until the user says otherwise (the next
        # prediction asks): without it, an ML policy stepped on the story alone tends to
        # repeat the action, and an abandoned session would leave it so
        learned = interactive_learn(assistant=assistant, events=story, listen_at_end=name != LISTEN)
    mark: dict[str, Any] = {
        "predicted_action": decision.action,
        "corrected": corrected,
        "learned": bool(learned and learned.learned),
    }
    known = name in served.domain.responses or name in set(served.domain.actions) | set(
        served.domain.forms
    )
    if not known and name not in DEFAULT_ACTIONS:
        executed: dict[str, Any] = {"event": "action", "name": name, "policy": None}
        if response_text:
            mark["new_response"] = response_text
            turn.add({**executed, "confidence": 1.0, "metadata": {MARK: mark}})
            turn.add({"event": "bot", "text": response_text, "metadata": {"utter_action": name}})
        else:
            mark["new_action"] = True
            turn.add({**executed, "confidence": 1.0, "metadata": {MARK: mark}})
    else:
        before = len(turn.new)
        policy = decision.policy if not corrected else None
        confidence = decision.confidence if not corrected else 1.0
        turn.run(name, policy=policy, confidence=confidence)
        for event in turn.new[before:]:
            if event.get("event") == "action" and event.get("name") == name:
                event["metadata"] = {**(event.get("metadata") or {}), MARK: mark}
                break
    turn_record(turn, conversation, served)
    return {
        "learned": learned.as_dict() if learned is not None else None,
        "messages": turn.messages,
        "state": interactive_state(assistant=assistant, conversation=conversation),
    }


def _turn_learned(applied: Sequence[Mapping[str, Any]]) -> bool:
    """Was an action since the latest user message learned?"""
    for event in reversed(applied):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and _marked(event).get("learned"):
            return True
    return False


def interactive_undo(*, assistant: Assistant, conversation: Conversation) -> dict[str, Any]:
    """Undo the session's last user message or bot action."""
    served = _served(assistant)
    applied = _turn(assistant, served, conversation).state.applied
    significant = [
        e
        for e in applied
        if e.get("event") == "user"
        or (e.get("event") == "action" and e.get("name") not in (LISTEN, "action_session_start"))
    ]
    if not significant:
        raise NothingToUndoError("There is nothing to undo in this session.")
    last = significant[-1]
    events: list[dict[str, Any]]
    if last.get("event") == "user":
        # the message and the listen before it go; listening again waits for a new message
        events = [{"event": "rewind"}, {"event": "action", "name": LISTEN, "confidence": 1.0}]
    else:  # each undo reverts the latest action: the listens after it, then itself
        at = next(i for i in range(len(applied) - 1, -1, -1) if applied[i] is last)
        count = sum(1 for e in applied[at:] if e.get("event") == "action")
        events = [{"event": "undo"}] * count
    _append(conversation, served, events)
    return interactive_state(assistant=assistant, conversation=conversation)


def interactive_restart(*, assistant: Assistant, conversation: Conversation) -> dict[str, Any]:
    """Start the session over (the events before stay recorded, not applied)."""
    served = _served(assistant)
    turn = _turn(assistant, served, conversation)
    turn.add({"event": "restart"})
    turn.start_session()
    turn_record(turn, conversation, served)
    return interactive_state(assistant=assistant, conversation=conversation)


# ------------------------------------------------------------------------------ saving


def _marked(event: Mapping[str, Any]) -> dict[str, Any]:
    return dict(((event.get("metadata") or {}).get(MARK)) or {})


@dataclass(frozen=True)
class DomainAddition:
    kind: str  # intent, response, action
    name: str
    text: str | None = None  # a new response's text

    def __str__(self) -> str:
        return f"{self.kind} '{self.name}'"


def interactive_domain_additions(
    *, assistant: Assistant, conversation: Conversation
) -> list[DomainAddition]:
    """The intents, responses and actions of the session that the domain lacks."""
    served = _served(assistant)
    return _domain_additions(assistant, _turn(assistant, served, conversation).state.applied)


def _domain_additions(
    assistant: Assistant, applied: Sequence[Mapping[str, Any]]
) -> list[DomainAddition]:
    intents = {
        str(((e.get("parse_data") or {}).get("intent") or {}).get("name") or "")
        for e in applied
        if e.get("event") == "user"
    } - {""}
    known_intents = set(
        Intent.objects.filter(assistant=assistant, name__in=intents).values_list("name", flat=True)
    )
    found = [
        DomainAddition("intent", name) for name in sorted(intents - known_intents - DEFAULT_INTENTS)
    ]
    actions = [e for e in applied if e.get("event") == "action"]
    names = {str(e.get("name")) for e in actions}
    known = DEFAULT_ACTIONS | {
        name
        for model in (Action, ResponseItem, Form)
        for name in model.objects.filter(assistant=assistant, name__in=names).values_list(
            "name", flat=True
        )
    }
    for event in actions:
        name = str(event.get("name"))
        if name in known:
            continue
        known = known | {name}
        text = _marked(event).get("new_response")
        found.append(
            DomainAddition("response", name, str(text)) if text else DomainAddition("action", name)
        )
    return found


def _add_to_domain(assistant: Assistant, additions: Sequence[DomainAddition]) -> None:
    for addition in additions:
        if addition.kind == "intent":
            intent_create(assistant=assistant, data={"name": addition.name})
        elif addition.kind == "response":
            response_create(
                assistant=assistant,
                name=addition.name,
                variations=[VariationInput(text=addition.text)],
            )
        else:
            action_create(assistant=assistant, data={"name": addition.name})


def _spans(text: str, entities: Sequence[Mapping[str, Any]]) -> list[SpanInput]:
    spans = []
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
            continue
        spans.append(
            SpanInput(
                start=start,
                end=end,
                entity=str(entity.get("entity")),
                value=str(entity.get("value") or text[start:end]),
                role=entity.get("role"),
                group=entity.get("group"),
            )
        )
    return spans


def _examples(assistant: Assistant, applied: Sequence[Mapping[str, Any]]) -> list[str]:
    """The corrected messages as NLU examples (an example with the same text is updated)."""
    saved: list[str] = []
    for event in applied:
        if event.get("event") != "user" or not _marked(event).get("corrected"):
            continue
        text = str(event.get("text") or "")
        parse = event.get("parse_data") or {}
        name = str((parse.get("intent") or {}).get("name") or "")
        if not text or not name or text.startswith("/"):
            continue
        intent = Intent.objects.get(assistant=assistant, name=name)
        spans = _spans(text, parse.get("entities") or [])
        existing = Example.objects.filter(assistant=assistant, text=text).first()
        if existing is not None:
            example_update(example=existing, intent=intent, spans=spans)
        else:
            example_create(assistant=assistant, intent=intent, text=text, spans=spans)
        saved.append(text)
    return saved


@transaction.atomic
def interactive_save(
    *, assistant: Assistant, conversation: Conversation, name: str = "", test: bool = False
) -> dict[str, Any]:
    """The session into the assistant's training data: its new intents, responses and
    actions into the domain, its corrected messages as NLU examples, itself as a story (and
    a test story when ``test``). ``full_training_required`` with the fine-tune checker's
    differences tells whether the next training can be a fine-tune."""
    served = _served(assistant)
    applied = _turn(assistant, served, conversation).state.applied
    additions = _domain_additions(assistant, applied)
    _add_to_domain(assistant, additions)
    examples = _examples(assistant, applied)
    stories = []
    for as_test in (False, True) if test else (False,):
        story = conversation_story(
            conversation=conversation, name=name.strip() or conversation.sender_id, test=as_test
        )
        row = conversation_save_story(conversation=conversation, story=story)
        stories.append(
            {"id": row.pk, "name": row.name, "is_test": row.is_test, "yaml": story_yaml(story)}
        )
    base = getattr(served.model, "metadata", None) or {}
    verdict = check_finetune(base, training_data_for_assistant(assistant=assistant))
    return {
        "stories": stories,
        "examples": examples,
        "domain_added": [str(addition) for addition in additions],
        "full_training_required": not verdict.allowed,
        "differences": [d.as_dict() for d in verdict.differences],
        "summary": verdict.summary,
    }
