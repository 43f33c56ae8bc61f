"""One turn of the running assistant, in memory: apply events, predict and run actions.

A ``Turn`` starts from the conversation's events since its latest session start (``history``)
and collects the new events (``new``) and the messages for the channel (``messages``); the caller
records ``new`` in one write. Nothing here touches the database.
"""

from __future__ import annotations

import functools
import random
import time
import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from annotation.selectors.conversations import tracker_json
from annotation.sized_lru import SizedLru
from annotation.tracker import RESETTING, TrackerState, tracker_fold
from training.engine.data import StoryEvent
from training.engine.dialogue import PolicyDecision
from training.engine.dialogue.actions import DEFAULT_ACTIONS as ENGINE_DEFAULT_ACTIONS
from training.engine.dialogue.states import StoryLog
from training.runtime.action_server import (
    NO_ACTION_ENDPOINT,
    ActionServerResult,
    RecordedEvents,
)
from training.runtime.domain import REQUESTED_SLOT, RuntimeDomain
from training.runtime.folds import KNOWN_FOLDS, extends
from training.runtime.responses import channel_message, render_response
from training.runtime.slots import extract_slots, form_trigger_slots
from training.runtime.two_stage_fallback import TWO_STAGE_FALLBACK, run_two_stage_fallback

MAX_ACTIONS_PER_TURN = 10
LISTEN = "action_listen"
SESSION_START = "action_session_start"
DEFAULT_ACTIONS = frozenset(ENGINE_DEFAULT_ACTIONS)  # the actions the runtime runs itself


class ServedModel(Protocol):
    def parse(self, text: str) -> dict[str, Any]: ...


# (action, sender_id, tracker, domain): the action server's answer
ActionCaller = Callable[[str, str, Mapping[str, Any], RuntimeDomain], ActionServerResult]


class StoryShelf:
    """The story logs of the conversations that took turns lately, each kept for its
    conversation's next turn (a new ``Turn``, its history read again): that turn takes the log
    up when its story begins with the log's events, so that the model's state tracker applies
    only the events added since. A log belongs to one turn at a time (``take`` removes it), and
    any other story gets a new log: decisions are those of a story replayed from the start."""

    def __init__(self, size: int) -> None:
        self._logs: SizedLru[StoryLog] = SizedLru(size)

    def take(self, key: Hashable, events: Sequence[StoryEvent]) -> StoryLog:
        log = self._logs.pop(key)
        return StoryLog(events) if log is None else log.continued(events)

    def put(self, key: Hashable, log: StoryLog) -> None:
        self._logs.put(key, log)


STORY_SHELF = StoryShelf(size=128)  # conversations; a 40-message one's log takes ~100 KB


def story_events(events: Sequence[Mapping[str, Any]]) -> list[StoryEvent]:
    """Rasa event dicts (reverts applied) as the engine's ``StoryEvent`` sequence."""
    result: list[StoryEvent] = []
    for event in events:
        name = event.get("event")
        if name == "user":
            parse = event.get("parse_data") or {}
            entities = tuple(
                {k: e.get(k) for k in ("entity", "value", "role", "group") if e.get(k) is not None}
                for e in parse.get("entities") or ()
                if isinstance(e, Mapping)
            )
            intent = (parse.get("intent") or {}).get("name")
            result.append(
                StoryEvent("intent", name=intent, text=event.get("text"), entities=entities)
            )
        elif name == "action":
            result.append(_plain_event("action", event.get("name")))
        # bot events are what actions said: the actions stand for them (as in training data)
        elif name == "slot":
            result.append(_plain_event("slot", event.get("name"), event.get("value")))
        elif name in ("active_loop", "form"):
            result.append(_plain_event("active_loop", event.get("name") or None))
        elif name in ("restart", "session_started"):
            result.append(_plain_event(str(name)))
    return result


# -0.0 == 0.0 but they featurize apart: floats are never shared
_SHARED_TYPES = frozenset({str, int, bool, type(None)})


def _plain_event(kind: str, name: Any = None, value: Any = None) -> StoryEvent:
    """``StoryEvent(kind, name=name, value=value)``: one shared (frozen) event for each plain
    name and value, as conversations repeat the same few actions and slot values."""
    if type(name) in _SHARED_TYPES and type(value) in _SHARED_TYPES:
        return _shared_event(kind, name, value)
    return StoryEvent(kind, name=name, value=value)


@functools.lru_cache(maxsize=4096, typed=True)  # typed: True and 1 stay apart
def _shared_event(kind: str, name: Any, value: Any) -> StoryEvent:
    return StoryEvent(kind, name=name, value=value)


def predict(model: Any, events: Sequence[StoryEvent]) -> PolicyDecision:
    """The model's next action; ``action_listen`` when the model has no dialogue policies."""
    method = getattr(model, "predict_next_action", None)
    if method is None:
        return PolicyDecision(LISTEN, 1.0, None, ((LISTEN, 1.0),))
    try:
        decision = method(events)
    except NotImplementedError:
        return PolicyDecision(LISTEN, 1.0, None, ((LISTEN, 1.0),))
    if not isinstance(decision, PolicyDecision):
        raise TypeError(f"predict_next_action returned {type(decision).__name__}")
    return decision


@dataclass
class Turn:
    model: Any
    domain: RuntimeDomain
    sender_id: str
    channel: str
    history: list[dict[str, Any]]
    call_action: ActionCaller | None = None
    now: float = field(default_factory=time.time)
    state: TrackerState = field(init=False)
    new: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    # ``story_events(state.applied)`` as of the last prediction, and the events it came from
    _story: StoryLog | None = field(default=None, init=False, repr=False, compare=False)
    _story_of: list[dict[str, Any]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.history = list(self.history)
        self.state = KNOWN_FOLDS.fold(
            (id(self.domain), self.sender_id), self.history, self.domain.slot_defaults()
        )

    # ------------------------------------------------------------------------- events

    def add(self, event: Mapping[str, Any]) -> None:
        stamped = {**dict(event), "timestamp": event.get("timestamp") or self.now}
        self.state.apply(stamped)
        self.history.append(stamped)
        self.new.append(stamped)
        if stamped.get("event") == "bot":
            self.messages.append(channel_message(self.sender_id, stamped))

    def tracker(self) -> dict[str, Any]:
        """Rasa tracker JSON with the events since the latest restart or session start."""
        events = self.history[self._tracker_start() :]
        return tracker_json(sender_id=self.sender_id, state=self.state, events=events)

    def action_tracker(self) -> dict[str, Any]:
        """``tracker()`` for the action server: its events are the turn's own objects (not
        copies), those recorded before the turn marked as such (``RecordedEvents``), so that
        their JSON is reused from the conversation's earlier requests."""
        start = self._tracker_start()
        tracker = tracker_json(sender_id=self.sender_id, state=self.state, events=None)
        recorded = len(self.history) - len(self.new) - start
        tracker["events"] = RecordedEvents(self.history[start:], recorded)
        return tracker

    def _tracker_start(self) -> int:
        return max(
            (i for i, e in enumerate(self.history) if e.get("event") in RESETTING), default=0
        )

    def rng(self) -> random.Random:
        return random.Random(f"{self.sender_id}:{len(self.history)}")

    # ------------------------------------------------------------------------ session

    def session_expired(self, latest_event_time: float | None) -> bool:
        if not self.history or latest_event_time is None:
            return True
        minutes = self.domain.session_expiration_time
        return minutes > 0 and self.now - latest_event_time > minutes * 60

    def start_session(self) -> None:
        """``action_session_start``: a new session, the slots carried over if the domain says."""
        self.run(SESSION_START, policy=None, confidence=1.0)

    def _carried_slots(self) -> list[dict[str, Any]]:
        if not self.domain.carry_over_slots_to_new_session:
            return []
        defaults = self.domain.slot_defaults()
        return [
            {"event": "slot", "name": name, "value": value}
            for name, value in self.state.slots.items()
            if value != defaults.get(name) and name != REQUESTED_SLOT
        ]

    # ------------------------------------------------------------------------ messages

    def receive(
        self,
        text: str,
        parse_data: Mapping[str, Any],
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Record the user message and the slots its mappings set."""
        self.add(
            {
                "event": "user",
                "text": text,
                "parse_data": dict(parse_data),
                "input_channel": self.channel,
                "message_id": uuid.uuid4().hex,
                "metadata": dict(metadata or {}),
            }
        )
        for event in extract_slots(
            domain=self.domain,
            parse_data=parse_data,
            text=text,
            active_loop=self.state.active_loop,
            slots=self.state.slots,
        ):
            self.add(event)

    def predict_and_run(self) -> None:
        """Predict and run actions until ``action_listen`` (at most ``MAX_ACTIONS_PER_TURN``)."""
        try:
            self._predict_and_run()
        finally:
            self._shelve_story()

    def _predict_and_run(self) -> None:
        rejected: set[str] = set()
        for _ in range(MAX_ACTIONS_PER_TURN):
            if self.state.latest_user_index() is None:  # e.g. the only message was rewound
                break
            followup = self.state.followup_action
            if followup:
                decision = PolicyDecision(followup, 1.0, None)
            else:
                decision = predict(self.model, self.story())
                if decision.action in rejected:
                    decision = _next_best(decision, rejected)
            before = len(self.new)
            self.run(decision.action, policy=decision.policy, confidence=decision.confidence)
            if any(e.get("event") == "action_execution_rejected" for e in self.new[before:]):
                rejected.add(decision.action)
            if decision.action == LISTEN:
                return
        self.add({"event": "action", "name": LISTEN, "policy": None, "confidence": 1.0})

    def story(self) -> StoryLog:
        """``story_events(self.state.applied)``, kept from one prediction to the next: only the
        events applied since are converted (and applied by the model's state tracker). When
        the applied events are no longer an extension of the last ones (a rewind, an undo, a
        restart), and at a turn's first prediction, the story is converted again and the
        conversation's log taken up from ``STORY_SHELF`` when the story goes on from it."""
        applied = self.state.applied
        known = self._story_of
        story = self._story
        if story is not None and extends(applied, known):
            story.extend(story_events(applied[len(known) :]))
        else:
            story = STORY_SHELF.take(self._story_key(), story_events(applied))
        self._story, self._story_of = story, list(applied)
        return story

    def _story_key(self) -> tuple[int, str]:
        return id(self.model), self.sender_id

    def _shelve_story(self) -> None:
        """Leave the story to the conversation's next turn (see ``StoryShelf``)."""
        if self._story is not None:
            STORY_SHELF.put(self._story_key(), self._story)
            self._story, self._story_of = None, []

    # ------------------------------------------------------------------------- actions

    def run(self, name: str, *, policy: str | None = None, confidence: float | None = 1.0) -> None:
        """Run the action ``name`` and record it (the action event first, then its events)."""
        executed = {"event": "action", "name": name, "policy": policy, "confidence": confidence}
        if name in self.domain.forms:
            self._run_form(name, executed)
        elif name == TWO_STAGE_FALLBACK:
            run_two_stage_fallback(self, executed)
        elif name in DEFAULT_ACTIONS:
            self.add(executed)
            for event in self._default_action(name):
                self.add(event)
        elif name in self.domain.responses:
            self.add(executed)
            uttered = self.respond(name)
            if uttered is not None:
                self.add(uttered)
        else:
            self._run_custom(name, executed)

    def respond(self, name: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        variations = self.domain.responses.get(name)
        if not variations:
            return None
        return render_response(
            name,
            variations,
            slots=self.state.slots,
            channel=self.channel,
            rng=self.rng(),
            extra=extra,
        )

    def _responses(self, *names: str) -> list[dict[str, Any]]:
        found = (self.respond(name) for name in names if name in self.domain.responses)
        return [event for event in found if event is not None]

    def _default_action(self, name: str) -> list[dict[str, Any]]:
        if name == "action_restart":
            return [*self._responses("utter_restart"), {"event": "restart"}]
        if name == SESSION_START:
            carried = self._carried_slots()  # read before session_started resets the slots
            return [
                {"event": "session_started"},
                *carried,
                {"event": "action", "name": LISTEN, "policy": None, "confidence": 1.0},
            ]
        if name == "action_default_fallback":
            return [*self._responses("utter_default"), {"event": "rewind"}]
        if name == "action_back":
            return [*self._responses("utter_back"), {"event": "rewind"}, {"event": "rewind"}]
        if name == "action_deactivate_loop":
            return [
                {"event": "active_loop", "name": None},
                {"event": "slot", "name": REQUESTED_SLOT, "value": None},
            ]
        if name == "action_extract_slots":
            latest = self.state.latest_message or {}
            return extract_slots(
                domain=self.domain,
                parse_data=latest,
                text=latest.get("text"),
                active_loop=self.state.active_loop,
                slots=self.state.slots,
            )
        if name == "action_default_ask_affirmation":
            return self._responses("utter_ask_affirmation")
        if name == "action_default_ask_rephrase":
            return self._responses("utter_ask_rephrase")
        return []

    # --------------------------------------------------------------------------- forms

    def _run_form(self, form: str, executed: dict[str, Any]) -> None:
        """Rasa's form loop: activate, then ask for the next empty required slot (see
        ``_ask``); deactivate when all are filled. A message that fills nothing while a slot
        is requested rejects the form, and so does its validation action refusing to run
        (the form's events of this run are then taken back, as Rasa's rejection unwinds)."""
        required = [str(s) for s in self.domain.forms[form].get("required_slots") or ()]
        activating = self.state.active_loop != form
        if not activating and self._filled_nothing(form):
            self.add({"event": "action_execution_rejected", "name": form, "policy": None})
            return
        mark = (len(self.history), len(self.new), len(self.messages))
        self.add(executed)
        if activating:
            self.add({"event": "active_loop", "name": form})
            intent = ((self.state.latest_message or {}).get("intent") or {}).get("name")
            for event in form_trigger_slots(
                domain=self.domain, form=form, intent=intent, slots=self.state.slots
            ):
                self.add(event)
        chosen = self._validate_form(form, activating)
        if chosen is None:
            self._take_back(mark)
            self.add(
                {"event": "action_execution_rejected", "name": form, "policy": policy_of(executed)}
            )
            return
        missing = next((s for s in required if self.state.slots.get(s) is None), None)
        if chosen:  # the validation action picked the next slot (or None: the form is done)
            missing = chosen[-1]
        if missing is None:
            self.add({"event": "slot", "name": REQUESTED_SLOT, "value": None})
            self.add({"event": "active_loop", "name": None})
            return
        self.add({"event": "slot", "name": REQUESTED_SLOT, "value": missing})
        self._ask(form, missing)

    def _ask(self, form: str, slot: str) -> None:
        """Ask for ``slot`` as Rasa does: a custom ``action_ask_<form>_<slot>`` or
        ``action_ask_<slot>`` of the domain (run on the action server, its events and messages
        part of the form's), else the response ``utter_ask_<form>_<slot>`` or
        ``utter_ask_<slot>``."""
        for name in (f"action_ask_{form}_{slot}", f"action_ask_{slot}"):
            if name in self.domain.actions and self.call_action is not None:
                result = self.call_action(name, self.sender_id, self.action_tracker(), self.domain)
                self._apply_form_helper(form, name, result)
                return
        for name in (f"utter_ask_{form}_{slot}", f"utter_ask_{slot}"):
            asked = self.respond(name)
            if asked is not None:
                self.add(asked)
                return

    def _apply_form_helper(self, form: str, name: str, result: ActionServerResult) -> None:
        """Events and messages of an action the form ran for itself (its validation, a custom
        ask), as the form's own; an error is noted on the form's action event."""
        if result.error:
            self._note_error(form, f"{name}: {result.error}")
        for event in result.events:
            self.add(event)
        for response in result.responses:
            self._custom_response(response)

    def _take_back(self, mark: tuple[int, int, int]) -> None:
        """Forget the events added since ``mark`` (``len`` of history, new and messages)."""
        history, new, messages = mark
        del self.history[history:]
        del self.new[new:]
        del self.messages[messages:]
        self.state = tracker_fold(self.history, slot_defaults=self.domain.slot_defaults())

    def _validate_form(self, form: str, activating: bool) -> list[str | None] | None:
        """Run ``validate_<form>`` on the action server, when the domain has it; apply its events
        and messages. Returns the ``requested_slot`` values it set (usually none), or None when
        the validation action refused to run (rasa-sdk's ``ActionExecutionRejection``)."""
        validator = f"validate_{form}"
        if validator not in self.domain.actions or self.call_action is None:
            return []
        result = self.call_action(
            validator,
            self.sender_id,
            self._validation_tracker(form, activating),
            self.domain,
        )
        if result.rejected:
            return None
        self._apply_form_helper(form, validator, result)
        return [
            None if e.get("value") is None else str(e["value"])
            for e in result.events
            if e.get("event") == "slot" and e.get("name") == REQUESTED_SLOT
        ]

    def _validation_tracker(self, form: str, activating: bool) -> dict[str, Any]:
        """The tracker as Rasa sends it to ``validate_<form>``: the slot candidates (required
        slots set since the user spoke, and on activation every one already filled) as slot
        events after the form's action, where rasa-sdk's ``Tracker.slots_to_validate`` looks."""
        required = [str(s) for s in self.domain.forms[form].get("required_slots") or ()]
        user_at = self.state.latest_user_index()
        since_user = self.state.applied[user_at:] if user_at is not None else []
        names = {e.get("name") for e in since_user if e.get("event") == "slot"}
        if activating:
            names |= {s for s in required if self.state.slots.get(s) is not None}
        tracker = self.action_tracker()
        events: RecordedEvents = tracker["events"]
        tracker["events"] = RecordedEvents(
            [
                *events,
                {"event": "action", "name": form, "policy": None, "confidence": 1.0},
                *(
                    {"event": "slot", "name": s, "value": self.state.slots.get(s)}
                    for s in required
                    if s in names
                ),
            ],
            events.recorded,
        )
        return tracker

    def _filled_nothing(self, form: str) -> bool:
        """The user spoke since the form last ran, a slot is requested and the message set
        none of the form's required slots."""
        requested = self.state.slots.get(REQUESTED_SLOT)
        if not requested or self.state.slots.get(str(requested)) is not None:
            return False
        applied = self.state.applied
        user_at = self.state.latest_user_index()
        if user_at is None:
            return False
        form_at = max(
            (
                i
                for i, e in enumerate(applied)
                if e.get("event") == "action" and e.get("name") == form
            ),
            default=-1,
        )
        if user_at < form_at:
            return False
        required = set(self.domain.forms[form].get("required_slots") or ())
        return not any(
            e.get("event") == "slot" and e.get("name") in required for e in applied[user_at:]
        )

    # -------------------------------------------------------------------------- custom

    def _note_error(self, action: str, error: str) -> None:
        for event in reversed(self.new):
            if event.get("event") == "action" and event.get("name") == action:
                event.setdefault("metadata", {})["error"] = error
                return

    def _run_custom(self, name: str, executed: dict[str, Any]) -> None:
        if self.call_action is None:
            self.add({**executed, "metadata": {"error": NO_ACTION_ENDPOINT}})
            return
        result = self.call_action(name, self.sender_id, self.action_tracker(), self.domain)
        if result.rejected:
            self.add(
                {"event": "action_execution_rejected", "name": name, "policy": policy_of(executed)}
            )
            return
        if result.error:
            self.add({**executed, "metadata": {"error": result.error}})
            return
        self.add(executed)
        for event in result.events:
            self.add(event)
        for response in result.responses:
            self._custom_response(response)

    def _custom_response(self, response: Mapping[str, Any]) -> None:
        template = response.get("response") or response.get("template")
        if template:
            known = {"response", "template", "text", "buttons", "image", "custom", "attachment"}
            extra = {k: v for k, v in response.items() if k not in known}
            event = self.respond(str(template), extra)
            if event is not None:
                self.add(event)
            return
        self.add(
            {
                "event": "bot",
                "text": response.get("text"),
                "data": {
                    "elements": response.get("elements"),
                    "quick_replies": response.get("quick_replies"),
                    "buttons": response.get("buttons"),
                    "attachment": response.get("attachment"),
                    "image": response.get("image"),
                    "custom": response.get("custom") or response.get("json_message"),
                },
                "metadata": {},
            }
        )


def _next_best(decision: PolicyDecision, rejected: set[str]) -> PolicyDecision:
    """The best-scored action the turn has not seen rejected (``action_listen`` when none)."""
    for action, score in decision.scores:
        if action not in rejected:
            return PolicyDecision(action, score, decision.policy, decision.scores)
    return PolicyDecision(LISTEN, 1.0, None, decision.scores)


def policy_of(event: Mapping[str, Any]) -> str | None:
    policy = event.get("policy")
    return str(policy) if policy else None
