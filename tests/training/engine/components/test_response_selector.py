from __future__ import annotations

from pathlib import Path

from tests.training.engine.nn.toy_data import ToyPipeline, example
from training.engine.component import TrainContext, component_class
from training.engine.components.response_selector import ResponseSelector
from training.engine.data import DomainSpec

EXAMPLES = (
    example("what is your name", "faq/ask_name"),
    example("tell me your name", "faq/ask_name"),
    example("how old are you", "faq/ask_age"),
    example("what is your age", "faq/ask_age"),
    example("hello there", "greet"),
)
DOMAIN = DomainSpec(
    responses=(
        ("utter_faq/ask_name", ({"text": "I am Parley."},)),
        ("utter_faq/ask_age", ({"text": "Brand new."},)),
        ("utter_greet", ({"text": "Hi!"},)),
    )
)
FAST = {
    "epochs": 40,
    "batch_size": 4,
    "learning_rate": 0.01,
    "transformer_size": 32,
    "number_of_attention_heads": 2,
    "drop_rate": 0.0,
    "random_seed": 1,
}


def test_given_retrieval_examples_when_processing_then_rasa_response_selector_shape(
    tmp_path: Path,
) -> None:
    pipeline = ToyPipeline()
    selector = ResponseSelector({**FAST, "retrieval_intent": "faq"})
    selector.train(pipeline.inputs(EXAMPLES, DOMAIN), TrainContext("4_ResponseSelector"))
    selector.persist(tmp_path)
    loaded = ResponseSelector.load(selector.config, tmp_path)
    message = pipeline.message("what is your name")

    loaded.process(message)

    assert component_class("ResponseSelector") is ResponseSelector
    assert message.response_selector["all_retrieval_intents"] == ["faq"]
    answer = message.response_selector["faq"]
    assert answer["response"]["intent_response_key"] == "faq/ask_name"
    assert answer["response"]["utter_action"] == "utter_faq/ask_name"
    assert answer["response"]["responses"] == [{"text": "I am Parley."}]
    assert 0.5 < answer["response"]["confidence"] <= 1.0
    assert [r["intent_response_key"] for r in answer["ranking"]] == ["faq/ask_name", "faq/ask_age"]
    assert message.intent is None  # the selector leaves the intent to the classifier


def test_given_changed_response_texts_when_fingerprinting_then_the_fingerprint_changes() -> None:
    data = ToyPipeline().inputs(EXAMPLES, DOMAIN).data
    edited = (
        ToyPipeline()
        .inputs(EXAMPLES, DomainSpec(responses=(("utter_faq/ask_name", ({"text": "Parley."},)),)))
        .data
    )

    assert ResponseSelector.data_fingerprint(data) != ResponseSelector.data_fingerprint(edited)


def test_given_no_retrieval_intents_when_training_then_processing_adds_nothing() -> None:
    pipeline = ToyPipeline()
    selector = ResponseSelector(FAST)
    selector.train(pipeline.inputs(EXAMPLES[4:]), TrainContext("4_ResponseSelector"))
    message = pipeline.message("hello there")

    selector.process(message)

    assert message.response_selector == {}
