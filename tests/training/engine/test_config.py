from __future__ import annotations

import pytest

from tests.training.engine.fakes import fake_registry  # noqa: F401 - fixture
from training.engine.component import UnknownComponentError
from training.engine.config import ConfigError, resolve_config
from training.engine.data import EngineConfig

pytestmark = pytest.mark.usefixtures("fake_registry")


def test_given_an_empty_config_when_resolved_then_rasas_default_pipeline_with_defaults() -> None:
    resolved = resolve_config(EngineConfig())

    assert [step.component for step in resolved.pipeline] == [
        "WhitespaceTokenizer",
        "RegexFeaturizer",
        "LexicalSyntacticFeaturizer",
        "CountVectorsFeaturizer",
        "CountVectorsFeaturizer",
        "DIETClassifier",
        "EntitySynonymMapper",
        "ResponseSelector",
        "FallbackClassifier",
    ]
    char_counts = resolved.pipeline[4].config
    assert char_counts["analyzer"] == "char_wb"
    assert (char_counts["min_ngram"], char_counts["max_ngram"]) == (1, 4)
    assert char_counts["lowercase"] is True  # the component's own default, filled in
    assert resolved.pipeline[5].config["epochs"] == 100
    assert resolved.pipeline[5].config["constrain_similarities"] is False
    assert resolved.pipeline[7].config["epochs"] == 100
    assert resolved.pipeline[8].config == {"threshold": 0.3, "ambiguity_threshold": 0.1}


def test_given_no_policies_when_resolved_then_defaults_and_warnings_for_the_unimplemented() -> None:
    resolved = resolve_config(EngineConfig())

    assert [(step.index, step.component) for step in resolved.policies] == [
        (0, "MemoizationPolicy")
    ]
    assert len(resolved.warnings) == 2
    assert "'RulePolicy'" in resolved.warnings[0]
    assert "left out of the trained model" in resolved.warnings[0]
    assert "TEDPolicy" in resolved.warnings[1]


def test_given_user_keys_when_resolved_then_merged_over_the_defaults_without_the_name() -> None:
    config = EngineConfig(
        pipeline=({"name": "FakeTokenizer"}, {"name": "FakeFeaturizer", "sleep": 0.5}),
        policies=({"name": "FakePolicy", "max_history": 2},),
    )

    resolved = resolve_config(config)

    assert resolved.pipeline[1].config == {"sleep": 0.5, "lowercase": True}
    assert resolved.policies[0].config == {"max_history": 2}
    assert resolved.as_dict()["pipeline"][1] == {
        "name": "FakeFeaturizer",
        "sleep": 0.5,
        "lowercase": True,
    }
    assert resolved.warnings == ()


def test_given_an_unknown_component_when_resolved_then_an_error_names_the_supported_ones() -> None:
    config = EngineConfig(pipeline=({"name": "BertMagicClassifier"},))

    with pytest.raises(UnknownComponentError, match="BertMagicClassifier") as error:
        resolve_config(config)

    assert "FakeTokenizer" in str(error.value)
    assert "DIETClassifier" in str(error.value)


def test_given_an_unknown_or_pending_policy_when_resolved_then_left_out_with_a_warning() -> None:
    config = EngineConfig(
        pipeline=({"name": "FakeTokenizer"},),
        policies=(
            {"name": "TEDPolicy", "epochs": 5},
            {"name": "FakePolicy"},
            {"name": "my_module.CustomPolicy"},
        ),
    )

    resolved = resolve_config(config)

    assert [(step.index, step.component) for step in resolved.policies] == [(1, "FakePolicy")]
    assert len(resolved.warnings) == 2
    assert "my_module.CustomPolicy" in resolved.warnings[1]


def test_given_a_policy_in_the_pipeline_when_resolved_then_a_config_error() -> None:
    with pytest.raises(ConfigError, match="policies"):
        resolve_config(EngineConfig(pipeline=({"name": "FakePolicy"},)))
    with pytest.raises(ConfigError, match="pipeline"):
        resolve_config(EngineConfig(policies=({"name": "FakeTokenizer"},)))


def test_given_an_entry_without_a_name_when_resolved_then_a_config_error() -> None:
    with pytest.raises(ConfigError, match="entry 1 has no `name`"):
        resolve_config(EngineConfig(pipeline=({"epochs": 3},)))


def test_given_spacy_components_when_resolved_then_nearest_equivalents_train_with_warnings() -> (
    None
):
    config = EngineConfig(
        pipeline=(
            {"name": "SpacyNLP", "model": "en_core_web_md"},
            {"name": "SpacyTokenizer", "intent_tokenization_flag": True},
            {"name": "SpacyFeaturizer"},
            {"name": "DIETClassifier", "epochs": 3},
            {"name": "SpacyEntityExtractor", "dimensions": ["PERSON"]},
        )
    )

    resolved = resolve_config(config)

    assert [(step.index, step.component) for step in resolved.pipeline] == [
        (1, "WhitespaceTokenizer"),
        (2, "CountVectorsFeaturizer"),
        (3, "DIETClassifier"),
    ]
    assert resolved.pipeline[0].config["intent_tokenization_flag"] is True
    assert resolved.warnings[:4] == (
        "SpacyNLP left out of the trained model: spaCy language models are downloaded from "
        "outside the package registries",
        "SpacyTokenizer trained as WhitespaceTokenizer: spaCy language models are downloaded "
        "from outside the package registries",
        "SpacyFeaturizer trained as CountVectorsFeaturizer: spaCy language models are "
        "downloaded from outside the package registries",
        "SpacyEntityExtractor left out of the trained model: spaCy language models are "
        "downloaded from outside the package registries",
    )


def test_given_a_language_model_featurizer_beside_word_counts_then_it_is_left_out() -> None:
    config = EngineConfig(
        pipeline=(
            {"name": "WhitespaceTokenizer"},
            {"name": "LanguageModelFeaturizer", "model_name": "bert"},
            {"name": "CountVectorsFeaturizer"},
            {"name": "DIETClassifier"},
        )
    )

    resolved = resolve_config(config)

    assert [step.component for step in resolved.pipeline] == [
        "WhitespaceTokenizer",
        "CountVectorsFeaturizer",
        "DIETClassifier",
    ]
    assert resolved.warnings[0].startswith("LanguageModelFeaturizer left out of the trained model")
