from __future__ import annotations

from training.engine.data import DomainSpec, FormSpec, SlotSpec
from training.engine.dialogue.loops import LoopSpec, loop_specs
from training.engine.dialogue.states import DialogueState

IN_FORM = {"conditions": [{"active_loop": "order_form", "requested_slot": None}]}
DOMAIN = DomainSpec(
    slots=(
        SlotSpec("dish", "text", mappings=({"type": "from_entity", "entity": "dish", **IN_FORM},)),
        SlotSpec(
            "note",
            "text",
            mappings=(
                {
                    "type": "from_text",
                    "not_intent": "stop",
                    "conditions": [{"active_loop": "order_form", "requested_slot": "note"}],
                },
            ),
        ),
    ),
    forms=(FormSpec("order_form", ("dish", "note"), ignored_intents=("chitchat",)),),
)
FORM = loop_specs(DOMAIN)["order_form"]


def turn(intent: str, *entities: str, filled: tuple[str, ...] = ()) -> DialogueState:
    return DialogueState(intent=intent, entities=entities, filled_slots=filled)


def test_given_the_first_slot_requested_then_only_its_entity_is_an_answer() -> None:
    assert FORM.accepts(turn("inform", "dish"))
    assert not FORM.accepts(turn("inform"))  # the note's free text is not asked for yet


def test_given_the_text_slot_requested_then_any_turn_but_the_excluded_intent_answers() -> None:
    assert FORM.accepts(turn("inform", filled=("dish",)))
    assert not FORM.accepts(turn("stop", filled=("dish",)))


def test_given_an_ignored_intent_then_the_turn_is_a_digression() -> None:
    assert not FORM.accepts(turn("chitchat", "dish"))


def test_given_a_form_without_mappings_then_every_turn_answers_and_it_round_trips() -> None:
    assert LoopSpec("bare_form").accepts(turn("anything"))
    assert LoopSpec.from_json(FORM.as_json()) == FORM
