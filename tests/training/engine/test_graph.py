from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.training.engine.fakes import (  # noqa: F401 - fixture
    FakeClassifier,
    fake_registry,
    make_data,
)
from training.engine.component import Component, component_class
from training.engine.config import ConfigError
from training.engine.data import EngineConfig, NluData, NluExample, TrainingData
from training.engine.fingerprint import FinetuneKey, component_source_hash, node_fingerprint
from training.engine.graph import build_graph

pytestmark = pytest.mark.usefixtures("fake_registry")


def fingerprints(
    data: TrainingData, *, seed: int = 42, finetune: FinetuneKey | None = None
) -> dict[str, str]:
    graph = build_graph(data.config)
    result: dict[str, str] = {}
    for node in graph.nodes:
        result[node.name] = node_fingerprint(
            node,
            component_class(node.component),
            data,
            [result[need] for need in node.needs],
            seed=seed,
            finetune=finetune,
        )
    return result


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before if before[name] != after[name])


def test_given_the_default_config_when_built_then_nodes_named_by_index_with_their_inputs() -> None:
    graph = build_graph(EngineConfig())

    assert [(node.name, node.needs) for node in graph.nodes] == [
        ("0_WhitespaceTokenizer", ()),
        ("1_RegexFeaturizer", ("0_WhitespaceTokenizer",)),
        ("2_LexicalSyntacticFeaturizer", ("0_WhitespaceTokenizer",)),
        ("3_CountVectorsFeaturizer", ("0_WhitespaceTokenizer",)),
        ("4_CountVectorsFeaturizer", ("0_WhitespaceTokenizer",)),
        (
            "5_DIETClassifier",
            (
                "0_WhitespaceTokenizer",
                "1_RegexFeaturizer",
                "2_LexicalSyntacticFeaturizer",
                "3_CountVectorsFeaturizer",
                "4_CountVectorsFeaturizer",
            ),
        ),
        ("6_EntitySynonymMapper", ()),
        ("7_ResponseSelector", graph.node("5_DIETClassifier").needs),
        ("8_FallbackClassifier", ()),
        ("policy_0_MemoizationPolicy", ()),
    ]
    assert graph.node("5_DIETClassifier").config["epochs"] == 100
    assert [node.name for node in graph.dependents("1_RegexFeaturizer")] == [
        "5_DIETClassifier",
        "7_ResponseSelector",
    ]
    assert len(graph.warnings) == 2


def test_given_a_graph_when_printed_then_readable_text_and_a_json_dict() -> None:
    graph = build_graph(EngineConfig())

    text = graph.describe()
    as_dict = graph.as_dict()

    assert "5_DIETClassifier [classifier] <- 0_WhitespaceTokenizer, 1_RegexFeaturizer" in text
    assert "policy_0_MemoizationPolicy [policy] <- data" in text
    assert "warning: unknown policy 'RulePolicy': left out of the trained model" in text
    assert json.loads(json.dumps(as_dict))["nodes"][4]["config"]["analyzer"] == "char_wb"


def test_given_nlu_only_when_built_then_no_policy_nodes() -> None:
    graph = build_graph(make_data().config, nlu_only=True)

    assert graph.policies == ()
    assert [node.name for node in graph.pipeline][-1] == "4_FakeFallback"


def test_given_a_featurizer_before_any_tokenizer_when_built_then_a_config_error() -> None:
    config = EngineConfig(pipeline=({"name": "FakeFeaturizer"}, {"name": "FakeTokenizer"}))

    with pytest.raises(ConfigError, match="put a tokenizer"):
        build_graph(config)


def test_given_equal_inputs_when_fingerprinted_twice_then_equal() -> None:
    assert fingerprints(make_data()) == fingerprints(make_data())
    assert len(set(fingerprints(make_data()).values())) == 6


def test_given_a_changed_hyperparameter_then_that_node_and_its_dependents_change() -> None:
    base = make_data()
    pipeline = list(base.config.pipeline)
    pipeline[1] = {"name": "FakeFeaturizer", "sleep": 0.01}
    after = replace(base, config=replace(base.config, pipeline=tuple(pipeline)))

    assert changed(fingerprints(base), fingerprints(after)) == [
        "1_FakeFeaturizer",
        "3_FakeClassifier",
    ]


def test_given_a_key_set_to_its_default_then_nothing_changes() -> None:
    base = make_data()
    pipeline = list(base.config.pipeline)
    pipeline[1] = {"name": "FakeFeaturizer", "sleep": 0.0}
    after = replace(base, config=replace(base.config, pipeline=tuple(pipeline)))

    assert changed(fingerprints(base), fingerprints(after)) == []


def test_given_new_nlu_examples_then_nlu_nodes_change_and_policies_do_not() -> None:
    base = make_data()
    after = replace(base, nlu=NluData((*base.nlu.examples, NluExample("hey", "greet"))))

    assert "policy_0_FakePolicy" not in changed(fingerprints(base), fingerprints(after))
    assert len(changed(fingerprints(base), fingerprints(after))) == 5


def test_given_new_stories_or_a_new_language_then_only_the_right_nodes_change() -> None:
    base = make_data()
    more_stories = make_data(stories=2)
    german = make_data(language="de")

    assert changed(fingerprints(base), fingerprints(more_stories)) == ["policy_0_FakePolicy"]
    assert "policy_0_FakePolicy" not in changed(fingerprints(base), fingerprints(german))
    assert len(changed(fingerprints(base), fingerprints(german))) == 5


def test_given_a_new_version_seed_or_finetune_base_then_fingerprints_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = fingerprints(make_data())

    other_seed = fingerprints(make_data(), seed=7)
    finetuned = fingerprints(make_data(), finetune=FinetuneKey("abc", 0.2))
    other_fraction = fingerprints(make_data(), finetune=FinetuneKey("abc", 0.5))
    monkeypatch.setattr(FakeClassifier, "version", 2)
    new_version = fingerprints(make_data())

    assert changed(base, other_seed) == sorted(base)
    assert changed(base, finetuned) == sorted(base)
    assert changed(finetuned, other_fraction) == sorted(base)
    assert changed(base, new_version) == ["3_FakeClassifier"]


def test_given_a_component_whose_source_changed_then_its_fingerprint_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = (
        "from training.engine.component import Component\n"
        "class Probe(Component):\n"
        "    name = 'Probe'\n"
        "    kind = 'processor'\n"
        "    def train(self, inputs, context):\n"
        "        return {body}\n"
    )
    module = tmp_path / "parley_probe.py"
    node = build_graph(make_data().config).node("4_FakeFallback")
    data = make_data()

    def key_of(body: str) -> str:
        probe = _load_class(module, template.format(body=body), monkeypatch)
        return node_fingerprint(node, probe, data, [], seed=1)

    original = key_of("None")
    edited = key_of("{'changed': 1}")
    reverted = key_of("None")

    assert original != edited
    assert original == reverted


def _load_class(path: Path, source: str, monkeypatch: pytest.MonkeyPatch) -> type[Component]:
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, path.stem, module)
    spec.loader.exec_module(module)
    probe: type[Component] = module.Probe
    return probe


def test_given_the_same_module_source_then_the_source_hash_is_stable() -> None:
    assert component_source_hash(FakeClassifier) == component_source_hash(FakeClassifier)
    assert len(component_source_hash(FakeClassifier)) == 64
