"""Form validation through rasa-sdk's own ``FormValidationAction``, run in process by rasa-sdk's
``ActionExecutor`` on the payload Parley sends: which slots it validates, its messages, and a
validation action that picks the next slot (or ends the form)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.types import DomainDict

from tests.training.serving_fakes import DOMAIN, FakeModel, fake_parse
from training.runtime.action_server import ActionServerResult, action_request_body
from training.runtime.domain import RuntimeDomain
from training.runtime.turn import ActionCaller, Turn

VALIDATE = "validate_restaurant_form"


class ValidateRestaurantForm(FormValidationAction):
    seen: list[dict[str, Any]] = []

    def name(self) -> str:
        return VALIDATE

    def validate_cuisine(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        ValidateRestaurantForm.seen.append(tracker.slots_to_validate())
        if value == "martian":
            dispatcher.utter_message(text="No martian food here.")
            return {"cuisine": None}
        return {"cuisine": str(value).title()}


class ValidateOnlyCuisine(ValidateRestaurantForm):
    """A form that asks less than the domain says: rasa-sdk then sets ``requested_slot``."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return ["cuisine"]


def in_process(action_class: type[FormValidationAction]) -> ActionCaller:
    """Calls rasa-sdk's executor with the JSON Parley would POST to an action server."""
    executor = ActionExecutor()
    executor.register_action(action_class)

    def call(
        action: str, sender_id: str, tracker: Mapping[str, Any], domain: RuntimeDomain
    ) -> ActionServerResult:
        payload = json.loads(action_request_body(action, sender_id, tracker, domain.rasa_json))
        # in a thread of its own: after the browser tests, Playwright's loop runs in this one
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            result = pool.submit(asyncio.run, executor.run(payload)).result()
        assert result is not None
        return ActionServerResult(events=result.events, responses=result.responses)

    return call


def start(action_class: type[FormValidationAction]) -> Turn:
    ValidateRestaurantForm.seen = []
    spec = dataclasses.replace(DOMAIN, actions=(*DOMAIN.actions, VALIDATE))
    model = FakeModel("m1", domain=spec)
    turn = Turn(
        model=model,
        domain=RuntimeDomain.from_metadata(model.metadata["domain"]),
        sender_id="ada",
        channel="rest",
        history=[],
        call_action=in_process(action_class),
    )
    turn.start_session()
    return turn


def say(turn: Turn, text: str) -> list[str]:
    turn.messages = []
    turn.receive(text, fake_parse(text))
    turn.predict_and_run()
    return [str(m.get("text")) for m in turn.messages]


def test_given_a_form_validation_action_then_it_validates_what_the_user_just_said() -> None:
    turn = start(ValidateRestaurantForm)
    assert say(turn, "/request_restaurant") == ["Which cuisine?"]

    assert say(turn, '/inform{"cuisine": "martian"}') == ["No martian food here.", "Which cuisine?"]
    assert turn.state.slots["cuisine"] is None

    assert say(turn, '/inform{"cuisine": "thai"}') == ["For how many people?"]
    assert turn.state.slots["cuisine"] == "Thai"
    # rasa-sdk found exactly the new value at the end of the tracker Parley sent
    assert ValidateRestaurantForm.seen == [{"cuisine": "martian"}, {"cuisine": "thai"}]


def test_given_a_form_already_filled_when_activated_then_the_prefilled_slots_are_validated() -> (
    None
):
    turn = start(ValidateRestaurantForm)

    assert say(turn, '/request_restaurant{"cuisine": "thai"}') == ["For how many people?"]

    assert turn.state.slots["cuisine"] == "Thai"
    assert ValidateRestaurantForm.seen == [{"cuisine": "thai"}]


def test_given_a_validation_action_that_needs_fewer_slots_then_the_form_ends_when_it_says() -> None:
    turn = start(ValidateOnlyCuisine)
    say(turn, "/request_restaurant")

    assert say(turn, '/inform{"cuisine": "thai"}') == ["Booking Thai for None in None."]

    assert turn.state.active_loop is None
    assert turn.state.slots["people"] is None
    assert turn.state.slots["requested_slot"] is None


def test_given_the_domain_dict_parley_sends_then_rasa_sdk_reads_the_form_slots() -> None:
    domain = json.loads(RuntimeDomain.from_metadata(asdict(DOMAIN)).rasa_json)

    assert ValidateRestaurantForm().domain_slots(domain) == ["cuisine", "people"]
