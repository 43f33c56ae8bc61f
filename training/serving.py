"""The running assistant: its active model, and conversations handled and recorded.

The active model of an assistant is the newest archive in its models folder
(``training.services.assistant_models_dir``). Every process keeps the models it loaded, keyed
by archive path, and on each message compares the folder's modification time with what it saw
(one ``stat``), so a newly trained model serves the next message in every process without a
restart. Loading goes through ``load_model`` (tests replace it with a fake).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import gc
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import connection

from annotation import prepared
from annotation.models import Asset, Assistant, Conversation
from annotation.selectors.conversations import (
    conversation_events,
    conversation_get,
    conversation_tracker,
    tracker_json,
)
from annotation.services.conversations import (
    conversation_append_events,
    conversation_get_or_create,
    conversation_open,
    conversation_replace_events,
)
from annotation.tracker import TrackerState
from training.active_pointer import active_archive
from training.engine.archive import ArchiveError
from training.engine.model import Model
from training.runtime.action_server import (
    NO_ACTION_ENDPOINT,
    ActionServerResult,
    call_action_server,
)
from training.runtime.domain import RuntimeDomain
from training.runtime.intent_message import parse_intent_message
from training.runtime.turn import ActionCaller, Turn, predict, story_events
from training.services import assistant_models_dir

ACTION_TIMEOUT_S = 5.0

load_model: Callable[[Path], Any] = Model.load


class ServingError(Exception):
    code = "serving_error"
    http_status = 400

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class NoModelError(ServingError):
    code = "no_model"
    http_status = 409


class UnstorableTextError(ServingError):
    code = "ValidationError"


class ModelLoadError(ServingError):
    code = "model_load_failed"
    http_status = 500


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(item) for item in value)
    return False


def _refuse_nul(**values: Any) -> None:
    """PostgreSQL stores no NUL character in a text or JSON column: a message with one is
    refused before anything runs, on every database alike."""
    for name, value in values.items():
        if _contains_nul(value):
            raise UnstorableTextError(
                f"{name} contains a NUL character (\\u0000), which a conversation cannot store."
            )


@dataclass(frozen=True)
class ServedModel:
    path: Path
    model: Any
    domain: RuntimeDomain

    @property
    def id(self) -> str:
        metadata = getattr(self.model, "metadata", {}) or {}
        return str(metadata.get("id") or "")


class _ModelCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._newest: dict[Path, tuple[int, Path | None]] = {}
        self._models: dict[Path, ServedModel] = {}

    def newest(self, directory: Path) -> Path | None:
        try:
            stamp = os.stat(directory).st_mtime_ns
        except FileNotFoundError:
            return None
        seen = self._newest.get(directory)
        if seen is not None and seen[0] == stamp:
            return seen[1]
        # the archive active.json names (training.active_pointer), else the newest one
        newest = active_archive(directory)
        self._newest[directory] = (stamp, newest)
        return newest

    def get(self, path: Path) -> ServedModel:
        served = self._models.get(path)
        if served is not None:
            return served
        with self._lock:
            served = self._models.get(path)
            if served is None:
                try:
                    model = load_model(path)
                except ArchiveError as error:
                    raise ModelLoadError(f"The active model cannot be loaded: {error}") from error
                metadata = getattr(model, "metadata", {}) or {}
                served = ServedModel(
                    path, model, RuntimeDomain.from_metadata(metadata.get("domain"))
                )
                # keep only the newest model of each folder
                for old in [p for p in self._models if p.parent == path.parent]:
                    del self._models[old]
                self._models[path] = served
                # Loading brought TensorFlow's and the model's long-lived objects (~400,000):
                # left to the cyclic collector, every full collection walked them all, a
                # 0.2-0.5 s pause of the process under load. Frozen, they are skipped (they
                # are still freed by reference counting).
                gc.freeze()
        return served

    def clear(self) -> None:
        with self._lock:
            self._newest.clear()
            self._models.clear()


_cache = _ModelCache()


def serving_cache_clear() -> None:
    _cache.clear()


def assistant_active_model(*, assistant: Assistant) -> ServedModel | None:
    """The assistant's active model (loaded once per process), or None when it has none."""
    path = _cache.newest(assistant_models_dir(assistant=assistant))
    return _cache.get(path) if path is not None else None


def _require_model(assistant: Assistant) -> ServedModel:
    served = assistant_active_model(assistant=assistant)
    if served is None:
        raise NoModelError(f"Assistant {assistant.name!r} has no trained model yet: train one.")
    return served


# An assistant read for a message may carry its ``endpoints.yml`` (bytes, or None without one)
# under this attribute, as a queryset's ``annotate`` would (``training.bots.assistants`` reads it
# with the assistant: on PostgreSQL a statement of its own was a round trip more per message).
ENDPOINTS_YML = "parley_endpoints_yml"


def assistant_action_endpoint(*, assistant: Assistant) -> str | None:
    """``action_endpoint.url`` of the assistant's ``endpoints.yml``, if it has one (as read with
    the assistant by ``training.bots.assistants.bot_assistant``, else read here)."""
    content = vars(assistant).get(ENDPOINTS_YML, _NOT_READ)
    if content is _NOT_READ:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:  # a plain statement: read on every custom action
            prepared.execute(
                cursor,
                f"SELECT {quote('content')} FROM {quote(Asset._meta.db_table)}"
                f" WHERE {quote('assistant_id')} = %s AND {quote('path')} = %s",
                [assistant.pk, "endpoints.yml"],
            )
            found = cursor.fetchone()
        content = None if found is None else bytes(found[0])
    return None if content is None else _endpoint_url(content)


_NOT_READ = object()


@functools.lru_cache(maxsize=64)
def _endpoint_url(content: bytes) -> str | None:
    """Parsed once per content: YAML parsing cost more than the rest of a turn's action call."""
    try:
        document = yaml.safe_load(content.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    endpoint = document.get("action_endpoint") if isinstance(document, dict) else None
    url = endpoint.get("url") if isinstance(endpoint, dict) else None
    return str(url) if url else None


def _action_caller(assistant: Assistant) -> ActionCaller:
    """Calls the assistant's action server. The endpoint is looked up on the first call only:
    most turns run no custom action, and a message should not read endpoints.yml for nothing."""
    url: list[str | None] = []

    def call(
        action: str, sender_id: str, tracker: Mapping[str, Any], domain: RuntimeDomain
    ) -> ActionServerResult:
        if not url:
            url.append(assistant_action_endpoint(assistant=assistant))
        if url[0] is None:
            return ActionServerResult(error=NO_ACTION_ENDPOINT)
        return call_action_server(
            url=url[0],
            action=action,
            sender_id=sender_id,
            tracker=tracker,
            domain_json=domain.rasa_json,
            timeout=ACTION_TIMEOUT_S,
            while_waiting=_gate.waiting,
        )

    return call


def _parse(served: ServedModel, text: str) -> dict[str, Any]:
    """``/intent{...}`` messages (button payloads) as they say, anything else through NLU."""
    intents = [str(i.get("name")) for i in served.domain.intents]
    named = parse_intent_message(text, intents=intents)
    if named is not None:
        return named
    parsed: dict[str, Any] = served.model.parse(text)
    return parsed


@functools.lru_cache(maxsize=1)
def _empty_domain() -> RuntimeDomain:
    return RuntimeDomain()


class TurnGate:
    """A few turns at a time in each process (``settings.SERVING_CONCURRENT_TURNS``). Under
    ASGI every request runs on a thread of its own; the GIL lets one of them compute at a time
    anyway, and threads interleaving their turns made every turn slow (after each query a
    thread queues again for the GIL) and contended for the database's write lock
    (``bench.webhook_bench``, one A/B run on a busy 2-core machine: 69 instead of 43
    messages/s, p99 1.3 s instead of 6.2 s). On PostgreSQL a second turn computes while the
    first waits on its queries (``bench.webhook_bench``: 161-177 against 133-153 messages/s,
    a third did no better); SQLite's writers take turns anyway, so one. A turn waiting on the
    action server's answer opens the gate for the others meanwhile (``waiting``, entered by
    ``training.runtime.action_http`` only around a wait).

    A leaving turn hands its place to the longest waiting turn, else to a thread of the REST
    webhook's pool waiting for a place before it takes a request (``place``, see
    ``training.bots.turn_pool``)."""

    def __init__(self, width: int | None = None) -> None:
        self._free = max(1, width or int(settings.SERVING_CONCURRENT_TURNS))
        self._mutex = threading.Lock()
        self._turns: collections.deque[threading.Lock] = collections.deque()
        self._places: collections.deque[threading.Lock] = collections.deque()
        self._local = threading.local()

    def _held(self) -> bool:
        return bool(getattr(self._local, "held", False))

    def turns_waiting(self) -> bool:
        """Whether a turn (a request in hand) waits for a place."""
        return bool(self._turns)

    def _acquire(self, queue: collections.deque[threading.Lock]) -> None:
        with self._mutex:
            if self._free and not self._turns and not self._places:
                self._free -= 1
                return
            handed = threading.Lock()
            handed.acquire()
            queue.append(handed)
        handed.acquire()  # released by the turn that hands its place over

    def _release(self) -> None:
        with self._mutex:
            waiting = self._turns or self._places
            if waiting:
                waiting.popleft().release()
            else:
                self._free += 1

    @contextlib.contextmanager
    def _holding(self, queue: collections.deque[threading.Lock]) -> Iterator[None]:
        self._acquire(queue)
        self._local.held = True
        try:
            yield
        finally:
            self._local.held = False
            self._release()

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        if self._held():  # a turn inside a turn (the same thread)
            yield
            return
        with self._holding(self._turns):
            yield

    @contextlib.contextmanager
    def place(self) -> Iterator[None]:
        """A place for a thread about to take requests (its turns inside run in it), given
        after every waiting turn."""
        with self._holding(self._places):
            yield

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        if not self._held():
            yield
            return
        self._local.held = False
        self._release()
        try:
            yield
        finally:
            self._acquire(self._turns)
            self._local.held = True


_gate = TurnGate()


def turn_gate() -> TurnGate:
    """This process's gate (``training.bots.turn_pool`` takes places in it)."""
    return _gate


def conversation_turn(
    *,
    assistant: Assistant,
    served: ServedModel,
    conversation: Conversation,
    channel: str,
    history: list[dict[str, Any]] | None = None,
) -> Turn:
    """A turn of ``conversation`` on ``served`` (nothing recorded yet), from ``history``: its
    events since the latest session start, read here when not given."""
    return Turn(
        model=served.model,
        domain=served.domain,
        sender_id=conversation.sender_id,
        channel=channel,
        history=conversation_events(conversation=conversation) if history is None else history,
        call_action=_action_caller(assistant),
    )


def turn_record(turn: Turn, conversation: Conversation, served: ServedModel) -> None:
    """Store the events the turn added."""
    if turn.new:
        conversation_append_events(
            conversation=conversation,
            events=turn.new,
            slot_defaults=turn.domain.slot_defaults(),
            model_id=served.id,
        )


def _open(
    assistant: Assistant, sender_id: str, channel: str
) -> tuple[ServedModel, Conversation, Turn]:
    served = _require_model(assistant)
    conversation, history = conversation_open(
        assistant=assistant, sender_id=sender_id, channel=channel, model_id=served.id
    )
    turn = conversation_turn(
        assistant=assistant,
        served=served,
        conversation=conversation,
        channel=channel,
        history=history,
    )
    latest = conversation.latest_event_at.timestamp() if conversation.event_count else None
    if turn.session_expired(latest):
        turn.start_session()
    return served, conversation, turn


def assistant_handle_message(
    *,
    assistant: Assistant,
    sender_id: str,
    text: str,
    channel: str,
    metadata: Mapping[str, Any] | None = None,
    parse_data: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Handle a user message: parse it, record it with the slots it sets, predict and run the
    assistant's actions until it listens; return the bot messages for the channel."""
    _refuse_nul(sender=sender_id, message=text, metadata=metadata, parse_data=parse_data)
    with _gate.turn():
        served, conversation, turn = _open(assistant, sender_id, channel)
        try:
            turn.receive(text, parse_data or _parse(served, text), metadata)
            turn.predict_and_run()
        finally:
            turn_record(turn, conversation, served)
    return turn.messages


def assistant_parse(*, assistant: Assistant, text: str) -> dict[str, Any]:
    return _parse(_require_model(assistant), text)


def conversation_log_message(
    *,
    assistant: Assistant,
    sender_id: str,
    text: str,
    parse_data: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Record a user message (and the slots it sets) without predicting; the tracker."""
    _refuse_nul(sender=sender_id, text=text, parse_data=parse_data, metadata=metadata)
    with _gate.turn():
        served, conversation, turn = _open(assistant, sender_id, "")
        turn.receive(text, parse_data or _parse(served, text), metadata)
        turn_record(turn, conversation, served)
    return turn.tracker()


def conversation_predict(*, assistant: Assistant, sender_id: str) -> dict[str, Any]:
    """The next action's scores, policy and confidence; runs nothing."""
    served = _require_model(assistant)
    conversation, history = conversation_open(assistant=assistant, sender_id=sender_id)
    turn = conversation_turn(
        assistant=assistant, served=served, conversation=conversation, channel="", history=history
    )
    decision = predict(served.model, story_events(turn.state.applied))
    scores = decision.as_dict()["scores"] or [
        {"action": decision.action, "score": decision.confidence}
    ]
    return {
        "scores": scores,
        "policy": decision.policy,
        "confidence": decision.confidence,
        "tracker": turn.tracker(),
    }


def conversation_execute(
    *,
    assistant: Assistant,
    sender_id: str,
    name: str,
    policy: str | None = None,
    confidence: float | None = None,
) -> dict[str, Any]:
    """Run the action ``name`` (nothing predicted after it): ``{tracker, messages}``."""
    _refuse_nul(sender=sender_id, name=name, policy=policy)
    with _gate.turn():
        served, conversation, turn = _open(assistant, sender_id, "")
        try:
            turn.run(name, policy=policy, confidence=confidence)
        finally:
            turn_record(turn, conversation, served)
    return {"tracker": turn.tracker(), "messages": turn.messages}


def conversation_trigger_intent(
    *,
    assistant: Assistant,
    sender_id: str,
    intent: str,
    entities: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Inject the intent as if the user said it, then predict and run: ``{tracker, messages}``."""
    _refuse_nul(sender=sender_id, intent=intent, entities=entities)
    parse = {
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [
            {"entity": k, "value": v, "start": None, "end": None}
            for k, v in (entities or {}).items()
        ],
        "text": f"EXTERNAL: {intent}",
    }
    with _gate.turn():
        served, conversation, turn = _open(assistant, sender_id, "")
        try:
            turn.receive(f"EXTERNAL: {intent}", parse)
            turn.predict_and_run()
        finally:
            turn_record(turn, conversation, served)
    return {"tracker": turn.tracker(), "messages": turn.messages}


def conversation_tracker_json(
    *, assistant: Assistant, sender_id: str, include_events: str = "AFTER_RESTART"
) -> dict[str, Any]:
    """The tracker of ``sender_id`` (an empty one for a conversation not yet recorded)."""
    served = assistant_active_model(assistant=assistant)
    domain = served.domain if served else _empty_domain()
    mode = include_events.upper()
    if mode not in ("ALL", "AFTER_RESTART", "APPLIED", "NONE"):
        raise ServingError(
            f"include_events must be ALL, AFTER_RESTART, APPLIED or NONE, not {mode}"
        )
    conversation = conversation_get(assistant=assistant, sender_id=sender_id)
    if conversation is None:  # reading creates nothing
        state = TrackerState.empty(domain.slot_defaults())
        return tracker_json(sender_id=sender_id, state=state, events=None if mode == "NONE" else [])
    return conversation_tracker(
        conversation=conversation,
        slot_defaults=domain.slot_defaults(),
        include_events=mode,  # type: ignore[arg-type]
    )


def assistant_domain(*, assistant: Assistant) -> dict[str, Any]:
    return _require_model(assistant).domain.as_rasa_dict()


def conversation_events_add(
    *,
    assistant: Assistant,
    sender_id: str,
    events: list[Mapping[str, Any]],
    replace: bool = False,
) -> dict[str, Any]:
    """Append events to the conversation (or replace all of them); the tracker after."""
    served = assistant_active_model(assistant=assistant)
    domain = served.domain if served else _empty_domain()
    defaults = domain.slot_defaults()
    for event in events:
        if not isinstance(event, Mapping) or not isinstance(event.get("event"), str):
            raise ServingError('Every event must be an object with an "event" name.')
    _refuse_nul(sender=sender_id, events=events)
    conversation = conversation_get_or_create(assistant=assistant, sender_id=sender_id)
    if replace:
        conversation_replace_events(
            conversation=conversation, events=events, slot_defaults=defaults
        )
    else:
        conversation_append_events(conversation=conversation, events=events, slot_defaults=defaults)
    return conversation_tracker(conversation=conversation, slot_defaults=defaults)
