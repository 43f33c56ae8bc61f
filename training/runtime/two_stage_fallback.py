"""``action_two_stage_fallback``: Rasa's loop for messages the NLU is unsure of.

Activated (usually by the rule ``nlu_fallback -> action_two_stage_fallback``), it asks the user
to affirm the likeliest real intent ("Did you mean 'X'?", buttons ``/X`` and ``/out_of_scope``).
A "no" (``out_of_scope``) asks the user to rephrase; a second "no" gives up: the unclear
exchange is taken back and ``action_default_fallback`` says ``utter_default``. A message that is
still unclear asks again. Anything else (the affirmed intent, or a clear rephrasing) replaces
the unclear messages: they are rewound and the latest one is recorded again with full
confidence, so the conversation goes on as if the user had said it that way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from training.engine.dialogue.states import ACTION_LISTEN
from training.runtime.responses import bot_event

if TYPE_CHECKING:
    from training.runtime.turn import Turn

TWO_STAGE_FALLBACK = "action_two_stage_fallback"
NLU_FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"
ASK_AFFIRMATION = "utter_ask_affirmation"
ASK_REPHRASE = "utter_ask_rephrase"
DEFAULT_FALLBACK = "action_default_fallback"
DEFAULT_REPHRASE_TEXT = "I'm sorry, I didn't quite understand that. Could you rephrase?"


def run_two_stage_fallback(turn: Turn, executed: dict[str, Any]) -> None:
    latest = turn.state.latest_message or {}
    intent = (latest.get("intent") or {}).get("name")
    active = turn.state.active_loop == TWO_STAGE_FALLBACK
    if active and intent not in (NLU_FALLBACK_INTENT, OUT_OF_SCOPE_INTENT):
        _take_as_said(turn, latest)
        return
    if active and intent == OUT_OF_SCOPE_INTENT and _asked_to_rephrase(turn):
        _rewind_loop(turn)  # back to before the unclear message, the loop no longer active
        turn.add({**executed, "name": DEFAULT_FALLBACK})
        uttered = turn.respond("utter_default")
        if uttered is not None:
            turn.add(uttered)
        return
    turn.add(executed)
    if not active:
        turn.add({"event": "active_loop", "name": TWO_STAGE_FALLBACK})
    if intent == OUT_OF_SCOPE_INTENT:
        turn.add(_rephrase_request(turn))
    else:
        turn.add(_affirmation_request(turn, latest))


def affirmation_intent(parse_data: Mapping[str, Any]) -> str | None:
    """The likeliest intent that is not ``nlu_fallback``."""
    for ranked in parse_data.get("intent_ranking") or ():
        name = ranked.get("name") if isinstance(ranked, Mapping) else None
        if name and name != NLU_FALLBACK_INTENT:
            return str(name)
    name = (parse_data.get("intent") or {}).get("name")
    return str(name) if name and name != NLU_FALLBACK_INTENT else None


def _affirmation_request(turn: Turn, parse_data: Mapping[str, Any]) -> dict[str, Any]:
    intent = affirmation_intent(parse_data)
    own = turn.respond(ASK_AFFIRMATION, {"intent": intent})
    if own is not None:
        return own
    if intent is None:
        return _rephrase_request(turn)
    return bot_event(
        text=f"Did you mean '{intent}'?",
        buttons=[
            {"title": "Yes", "payload": f"/{intent}"},
            {"title": "No", "payload": f"/{OUT_OF_SCOPE_INTENT}"},
        ],
        utter_action=ASK_AFFIRMATION,
    )


def _rephrase_request(turn: Turn) -> dict[str, Any]:
    return turn.respond(ASK_REPHRASE) or bot_event(
        text=DEFAULT_REPHRASE_TEXT, utter_action=ASK_REPHRASE
    )


def _loop_start(turn: Turn) -> int:
    """Index in ``turn.state.applied`` of the user message that started the loop."""
    applied = turn.state.applied
    started = max(
        i
        for i, e in enumerate(applied)
        if e.get("event") == "active_loop" and e.get("name") == TWO_STAGE_FALLBACK
    )
    return max(i for i in range(started) if applied[i].get("event") == "user")


def _asked_to_rephrase(turn: Turn) -> bool:
    return any(
        e.get("event") == "bot" and (e.get("metadata") or {}).get("utter_action") == ASK_REPHRASE
        for e in turn.state.applied[_loop_start(turn) :]
    )


def _rewind_loop(turn: Turn) -> None:
    """Take back the unclear message and every answer since."""
    users = sum(1 for e in turn.state.applied[_loop_start(turn) :] if e.get("event") == "user")
    for _ in range(users):
        turn.add({"event": "rewind"})


def _take_as_said(turn: Turn, latest: Mapping[str, Any]) -> None:
    _rewind_loop(turn)
    turn.add({"event": "action", "name": ACTION_LISTEN, "policy": None, "confidence": 1.0})
    parse_data = {**dict(latest), "intent": {**dict(latest.get("intent") or {}), "confidence": 1.0}}
    turn.receive(str(latest.get("text") or ""), parse_data)
