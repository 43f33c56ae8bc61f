from __future__ import annotations

import numpy as np

from tests.training.engine.dialogue.helpers import action, intent, loop, slot
from training.engine.data import DomainSpec, EntitySpec, FormSpec, IntentSpec, SlotSpec
from training.engine.dialogue.featurize import StateVocabulary, domain_features, state_features
from training.engine.dialogue.states import DialogueState, states_of

DOMAIN = DomainSpec(
    intents=(IntentSpec("greet"), IntentSpec("inform")),
    entities=(EntitySpec("city"),),
    slots=(
        SlotSpec("city", "text"),
        SlotSpec("vip", "bool"),
        SlotSpec("size", "categorical", values=("small", "large")),
        SlotSpec("level", "float"),
        SlotSpec("note", "text", influence_conversation=False),
    ),
    actions=("action_check",),
    forms=(FormSpec("order_form", ("size",)),),
)


def test_given_a_domain_then_its_features_cover_intents_entities_actions_slots_and_loops() -> None:
    names = domain_features(DOMAIN)

    for expected in (
        "intent:greet",
        "entity:city",
        "action:action_listen",
        "action:action_check",
        "slot:city",
        "slot:vip=true",
        "slot:vip=false",
        "slot:size=small",
        "slot:size=__other__",
        "slot:level",
        "loop:order_form",
    ):
        assert expected in names
    assert not any(name.startswith("slot:note") for name in names)
    assert len(names) == len(set(names))


def test_given_a_state_then_categorical_and_bool_slots_carry_their_value() -> None:
    events = (
        intent("inform", city="Rome"),
        slot("city", "Rome"),
        slot("vip", True),
        slot("size", "Large"),
        slot("level", 0.5),
        loop("order_form"),
    )
    (state,) = states_of(events, DOMAIN)

    assert sorted(state_features(state)) == [
        ("action:action_listen", 1.0),
        ("entity:city", 1.0),
        ("intent:inform", 1.0),
        ("loop:order_form", 1.0),
        ("slot:city", 1.0),
        ("slot:level", 0.5),
        ("slot:size=large", 1.0),
        ("slot:vip=true", 1.0),
    ]


def test_given_a_short_history_when_windowed_then_it_is_left_padded_and_masked() -> None:
    vocabulary = StateVocabulary.build(DOMAIN, [])
    states = states_of((intent("greet"), action("action_check")), DOMAIN)

    x, mask = vocabulary.encode_window(states, 4)

    assert x.shape == (4, vocabulary.size)
    assert mask.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert not x[:2].any()
    assert x[2, vocabulary.index["intent:greet"]] == 1.0
    assert x[3, vocabulary.index["action:action_check"]] == 1.0


def test_given_a_long_history_when_windowed_then_only_the_last_states_are_kept() -> None:
    vocabulary = StateVocabulary.build(DOMAIN, [])
    states = states_of(
        (intent("greet"), action("action_check"), intent("inform"), action("action_check")),
        DOMAIN,
    )

    x, mask = vocabulary.encode_windows([states, states[:1]], 2)

    assert x.shape == (2, 2, vocabulary.size)
    assert mask.tolist() == [[1.0, 1.0], [0.0, 1.0]]
    assert x[0, 0, vocabulary.index["intent:inform"]] == 1.0


def test_given_new_features_when_grown_then_old_columns_keep_their_place() -> None:
    base = StateVocabulary.build(DOMAIN, [])
    unseen = DialogueState(intent="greet", entities=("person",), prev_action="bot: hi")

    grown = base.grown(DOMAIN, [[unseen]])

    assert grown.names[: base.size] == base.names
    assert grown.names[base.size :] == ("action:bot: hi", "entity:person")
    assert base.encode_state(unseen)[base.index["intent:greet"]] == 1.0
    assert np.count_nonzero(grown.encode_state(unseen)) == 3
