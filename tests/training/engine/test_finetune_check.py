from __future__ import annotations

import json
from dataclasses import asdict, replace
from typing import Any

from training.engine.archive import labels_of
from training.engine.component import component_class
from training.engine.config import resolve_config
from training.engine.data import (
    DomainSpec,
    EngineConfig,
    EntitySpan,
    EntitySpec,
    FormSpec,
    IntentSpec,
    NluData,
    NluExample,
    SlotSpec,
    TrainingData,
)
from training.engine.finetune_check import (
    ALLOWED_CHANGES,
    Difference,
    check_finetune,
    example_counts,
)

CONFIG = EngineConfig(
    language="en",
    pipeline=(
        {"name": "WhitespaceTokenizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "DIETClassifier", "epochs": 5},
    ),
    policies=({"name": "MemoizationPolicy"},),
)
CITY_MAPPING = {"type": "from_entity", "entity": "city"}
DOMAIN = DomainSpec(
    intents=(IntentSpec("greet"), IntentSpec("inform")),
    entities=(EntitySpec("city", roles=("from", "to")),),
    slots=(SlotSpec("city", "text", mappings=(CITY_MAPPING,)),),
    actions=("action_check",),
    responses=(("utter_greet", ({"text": "Hello!"},)),),
    forms=(FormSpec("trip_form", required_slots=("city",)),),
)
EXAMPLES = (
    NluExample("hello", "greet"),
    NluExample("hi", "greet"),
    NluExample(
        "from Rome to Paris",
        "inform",
        (EntitySpan(5, 9, "city", "Rome", role="from"), EntitySpan(13, 18, "city", "Paris", "to")),
    ),
)
DATA = TrainingData(config=CONFIG, domain=DOMAIN, nlu=NluData(examples=EXAMPLES))

DIET_EMBEDDING_DEFAULT: int = component_class("DIETClassifier").get_default_config()[
    "embedding_dimension"
]


def metadata_of(data: TrainingData, **extra: Any) -> dict[str, Any]:
    """The parts of a model archive's metadata the checker reads, after the JSON round trip."""
    metadata = {
        "config": resolve_config(data.config).as_dict(),
        "labels": labels_of(data),
        "domain": asdict(data.domain),
        **extra,
    }
    result: dict[str, Any] = json.loads(json.dumps(metadata))
    return result


def with_domain(**changes: Any) -> TrainingData:
    return replace(DATA, domain=replace(DOMAIN, **changes))


def with_pipeline(*pipeline: dict[str, Any], policies: Any = None) -> TrainingData:
    config = replace(CONFIG, pipeline=pipeline)
    if policies is not None:
        config = replace(config, policies=policies)
    return replace(DATA, config=config)


def with_examples(*examples: NluExample) -> TrainingData:
    return replace(DATA, nlu=NluData(examples=examples))


def differences(base: TrainingData, current: TrainingData, **kwargs: Any) -> list[Difference]:
    return list(check_finetune(metadata_of(base), current, **kwargs).differences)


def kinds(found: list[Difference]) -> list[tuple[str, str, str]]:
    return [(d.kind, d.name, d.change) for d in found]


# ------------------------------------------------------------------------------- allowed


def test_given_the_same_data_when_checked_then_fine_tuning_is_allowed() -> None:
    verdict = check_finetune(metadata_of(DATA), DATA)

    assert verdict.allowed
    assert verdict.differences == ()
    assert verdict.summary.startswith("Fine-tune allowed")
    assert verdict.allowed_changes == ALLOWED_CHANGES


def test_given_new_examples_and_edited_response_texts_when_checked_then_allowed() -> None:
    current = replace(
        with_examples(*EXAMPLES, NluExample("good morning", "greet")),
        domain=replace(DOMAIN, responses=(("utter_greet", ({"text": "Hi there!"},)),)),
    )

    assert check_finetune(metadata_of(DATA), current).allowed


def test_given_a_new_epochs_value_when_checked_then_allowed() -> None:
    current = with_pipeline(
        {"name": "WhitespaceTokenizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "DIETClassifier", "epochs": 50},
    )

    assert check_finetune(metadata_of(DATA), current).allowed


def test_given_a_key_written_out_with_its_default_when_checked_then_counts_as_unchanged() -> None:
    current = with_pipeline(
        {"name": "WhitespaceTokenizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "DIETClassifier", "epochs": 5, "embedding_dimension": DIET_EMBEDDING_DEFAULT},
    )

    assert check_finetune(metadata_of(DATA), current).allowed


def test_given_a_base_config_stored_as_written_when_checked_then_defaults_fill_it_in() -> None:
    metadata = metadata_of(DATA)
    metadata["config"]["pipeline"] = [dict(step) for step in CONFIG.pipeline]

    assert check_finetune(metadata, DATA).allowed


# ------------------------------------------------------------------------------- config


def test_given_a_changed_hyperparameter_when_checked_then_refused_naming_node_and_key() -> None:
    current = with_pipeline(
        {"name": "WhitespaceTokenizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "DIETClassifier", "epochs": 5, "embedding_dimension": DIET_EMBEDDING_DEFAULT + 7},
    )

    found = differences(DATA, current)

    change = f"changed {DIET_EMBEDDING_DEFAULT} -> {DIET_EMBEDDING_DEFAULT + 7}"
    assert found == [
        Difference("config", "2_DIETClassifier.embedding_dimension", "changed", change)
    ]


def test_given_an_added_pipeline_component_when_checked_then_refused() -> None:
    current = with_pipeline(
        {"name": "WhitespaceTokenizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb"},
        {"name": "DIETClassifier", "epochs": 5},
    )

    assert kinds(differences(DATA, current)) == [("pipeline", "CountVectorsFeaturizer", "added")]


def test_given_reordered_components_when_checked_then_refused_as_reordered() -> None:
    base = with_pipeline(
        {"name": "WhitespaceTokenizer"},
        {"name": "RegexFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "DIETClassifier", "epochs": 5},
    )
    current = with_pipeline(
        {"name": "WhitespaceTokenizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "RegexFeaturizer"},
        {"name": "DIETClassifier", "epochs": 5},
    )

    found = differences(base, current)

    assert [(d.kind, d.change) for d in found] == [("pipeline", "reordered")]


def test_given_a_removed_policy_when_checked_then_refused_unless_nlu_only() -> None:
    current = with_pipeline(*CONFIG.pipeline, policies=({"name": "AugmentedMemoizationPolicy"},))

    assert kinds(differences(DATA, current)) == [
        ("policy", "AugmentedMemoizationPolicy", "added"),
        ("policy", "MemoizationPolicy", "removed"),
    ]
    assert differences(DATA, current, nlu_only=True) == []


def test_given_another_language_when_checked_then_refused() -> None:
    current = replace(DATA, config=replace(CONFIG, language="de"))

    assert kinds(differences(DATA, current)) == [("language", "language", "changed")]


# ------------------------------------------------------------------------------- labels


def test_given_an_added_intent_when_checked_then_one_difference_and_a_summary() -> None:
    current = replace(
        with_examples(*EXAMPLES, NluExample("thanks", "thank")),
        domain=replace(DOMAIN, intents=(*DOMAIN.intents, IntentSpec("thank"))),
    )

    verdict = check_finetune(metadata_of(DATA), current)

    assert not verdict.allowed
    assert kinds(list(verdict.differences)) == [("intent", "thank", "added")]
    assert verdict.summary == "Fine-tune refused: 1 intent added"


def test_given_a_removed_intent_when_checked_then_refused() -> None:
    current = replace(
        with_examples(*EXAMPLES[2:]), domain=replace(DOMAIN, intents=(IntentSpec("inform"),))
    )

    assert kinds(differences(DATA, current)) == [("intent", "greet", "removed")]


def test_given_new_entity_role_and_group_in_examples_when_checked_then_each_is_listed() -> None:
    span = EntitySpan(0, 5, "date", "today", role="start", group="1")
    current = with_examples(*EXAMPLES, NluExample("today", "inform", (span,)))

    assert kinds(differences(DATA, current)) == [
        ("entity", "date", "added"),
        ("role", "start", "added"),
        ("group", "1", "added"),
    ]


def test_given_a_role_removed_from_the_domain_and_examples_when_checked_then_refused() -> None:
    examples = (*EXAMPLES[:2], NluExample("Rome", "inform", (EntitySpan(0, 4, "city", "Rome"),)))
    current = replace(
        with_examples(*examples),
        domain=replace(DOMAIN, entities=(EntitySpec("city"),)),
    )

    assert kinds(differences(DATA, current)) == [
        ("role", "from", "removed"),
        ("role", "to", "removed"),
    ]


def test_given_a_known_intent_left_without_examples_when_checked_then_refused() -> None:
    current = with_examples(*EXAMPLES[2:])  # greet stays in the domain

    verdict = check_finetune(metadata_of(DATA, label_examples=example_counts(DATA)), current)

    assert kinds(list(verdict.differences)) == [("intent", "greet", "no examples")]
    assert verdict.summary == "Fine-tune refused: 1 intent without examples"


def test_given_an_undeclared_label_whose_examples_are_gone_then_refused_as_removed() -> None:
    date = NluExample("today", "inform", (EntitySpan(0, 5, "date", "today"),))
    base = with_examples(*EXAMPLES, date)

    assert kinds(differences(base, DATA)) == [("entity", "date", "removed")]


def test_given_no_recorded_counts_when_a_declared_label_has_no_examples_then_allowed() -> None:
    assert differences(DATA, with_examples(*EXAMPLES[2:])) == []


def test_given_a_label_the_base_never_had_examples_for_when_checked_then_not_refused() -> None:
    base = with_examples(*EXAMPLES[2:])
    metadata = metadata_of(base, label_examples=example_counts(base))

    assert check_finetune(metadata, base).allowed


# ------------------------------------------------------------------------------- domain


def test_given_slot_changes_when_checked_then_each_change_is_listed() -> None:
    city = SlotSpec("city", "categorical", values=("rome", "paris"), mappings=(CITY_MAPPING,))
    current = with_domain(slots=(city, SlotSpec("mood", "text")))

    verdict = check_finetune(metadata_of(DATA), current)

    assert kinds(list(verdict.differences)) == [
        ("slot", "mood", "added"),
        ("slot", "city", "changed"),
        ("slot", "city", "changed"),
    ]
    assert verdict.differences[1].detail == "type changed text -> categorical"
    assert verdict.summary.startswith(
        "Fine-tune refused: 1 slot added, slot 'city' type changed text -> categorical"
    )


def test_given_a_slot_mapping_change_or_removal_when_checked_then_refused() -> None:
    remapped = SlotSpec("city", "text", mappings=({"type": "from_text"},))

    assert kinds(differences(DATA, with_domain(slots=(remapped,)))) == [("slot", "city", "changed")]
    assert kinds(differences(DATA, with_domain(slots=()))) == [("slot", "city", "removed")]


def test_given_action_response_and_form_changes_when_checked_then_each_is_listed() -> None:
    current = with_domain(
        actions=("action_book",),
        responses=(("utter_greet", ({"text": "Hello!"},)), ("utter_bye", ({"text": "Bye"},))),
        forms=(),
    )

    assert kinds(differences(DATA, current)) == [
        ("action", "action_book", "added"),
        ("action", "action_check", "removed"),
        ("response", "utter_bye", "added"),
        ("form", "trip_form", "removed"),
    ]


def test_given_form_slot_list_edited_when_checked_then_allowed() -> None:
    current = with_domain(forms=(FormSpec("trip_form", required_slots=()),))

    assert check_finetune(metadata_of(DATA), current).allowed


def test_given_dialogue_domain_changes_and_nlu_only_when_checked_then_allowed() -> None:
    current = with_domain(actions=(), slots=(), forms=())

    assert check_finetune(metadata_of(DATA), current, nlu_only=True).allowed


# ------------------------------------------------------------------------------- output


def test_given_many_differences_when_serialized_then_json_with_every_difference() -> None:
    current = replace(
        with_domain(actions=(), forms=(), slots=()),
        config=replace(CONFIG, language="fr"),
    )

    verdict = check_finetune(metadata_of(DATA), current)
    payload = json.loads(json.dumps(verdict.as_dict()))

    assert payload["allowed"] is False
    assert len(payload["differences"]) == 4
    assert set(payload["differences"][0]) == {"kind", "name", "change", "detail"}
    assert payload["allowed_changes"] == list(ALLOWED_CHANGES)
    assert payload["summary"].startswith("Fine-tune refused: ")
