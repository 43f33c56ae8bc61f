from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.engine.components.featurizer_helpers import (
    banking77_data,
    dense_sentence,
    dense_sequence,
    message,
    nlu_data,
    persisted,
    same_batches,
    same_features,
    train,
)
from training.engine.components._patterns import PatternError
from training.engine.components.regex_featurizer import RegexFeaturizer
from training.engine.data import TrainingData

REGEXES = (("zipcode", (r"\d{5}",)), ("greet", (r"hey+", r"hello")))
LOOKUPS = (("city", ("New York", "Berlin", "York")),)
TEXTS = ["my zip is 10115 in Berlin", "heyyy from new york", "nothing here"]


Patterns = tuple[tuple[str, tuple[str, ...]], ...]


def data(
    texts: list[str] = TEXTS, regexes: Patterns = REGEXES, lookups: Patterns = LOOKUPS
) -> TrainingData:
    return nlu_data(list(texts), regexes=regexes, lookups=lookups)


def test_given_regexes_and_a_lookup_when_trained_then_one_column_per_pattern() -> None:
    featurizer, batch = train(RegexFeaturizer, {}, data())
    assert batch.dim == 4
    assert [p.name for p in featurizer.patterns if p] == ["zipcode", "greet", "greet", "city"]


def test_given_a_match_when_featurized_then_overlapping_tokens_and_sentence_get_1() -> None:
    _, batch = train(RegexFeaturizer, {}, data())
    first = batch.items[0]
    sequence = dense_sequence(first, 6)
    assert sequence[3].tolist() == [1.0, 0.0, 0.0, 0.0]  # "10115"
    assert sequence[5].tolist() == [0.0, 0.0, 0.0, 1.0]  # "Berlin"
    assert sequence[[0, 1, 2, 4]].sum() == 0.0
    assert dense_sentence(first).tolist() == [1.0, 0.0, 0.0, 1.0]
    assert batch.items[2].seq_cols.size == 0 and batch.items[2].sent_cols.size == 0


def test_given_case_sensitive_default_when_case_differs_then_the_lookup_misses() -> None:
    _, batch = train(RegexFeaturizer, {}, data())
    assert dense_sentence(batch.items[1]).tolist() == [0.0, 1.0, 0.0, 0.0]
    _, batch = train(RegexFeaturizer, {"case_sensitive": False}, data())
    second = batch.items[1]
    assert dense_sentence(second).tolist() == [0.0, 1.0, 0.0, 1.0]
    assert dense_sequence(second, 4)[:, 3].tolist() == [0.0, 0.0, 1.0, 1.0]  # "new york"


def test_given_word_boundaries_when_a_lookup_element_is_inside_a_word_then_no_match() -> None:
    texts = ["Berliner Yorkshire"]
    _, batch = train(RegexFeaturizer, {}, data(texts))
    assert dense_sentence(batch.items[0])[3] == 0.0
    config = {"use_word_boundaries": False}
    _, batch = train(RegexFeaturizer, config, data(texts))
    assert dense_sentence(batch.items[0])[3] == 1.0


def test_given_lookups_or_regexes_disabled_when_trained_then_they_are_left_out() -> None:
    featurizer, _ = train(RegexFeaturizer, {"use_lookup_tables": False}, data())
    assert {p.kind for p in featurizer.patterns if p} == {"regex"}
    featurizer, _ = train(RegexFeaturizer, {"use_regexes": False}, data())
    assert {p.kind for p in featurizer.patterns if p} == {"lookup"}


def test_given_no_patterns_when_trained_then_one_silent_column() -> None:
    _, batch = train(RegexFeaturizer, {}, data(regexes=(), lookups=()))
    assert batch.dim == 1 and all(item.sent_cols.size == 0 for item in batch.items)


def test_given_an_invalid_regex_when_trained_then_the_error_names_it() -> None:
    with pytest.raises(PatternError, match="'broken'"):
        train(RegexFeaturizer, {}, data(regexes=(("broken", ("(",)),)))


def test_given_a_trained_featurizer_when_persisted_and_loaded_then_same_features(
    tmp_path: Path,
) -> None:
    featurizer, batch = train(RegexFeaturizer, {}, data())
    loaded = persisted(featurizer, {}, tmp_path)
    for text, expected in zip(TEXTS, batch.items, strict=True):
        msg = message(text)
        loaded.process(msg)
        assert same_features(msg.features["1_Featurizer"], expected)
    _, again = train(RegexFeaturizer, {}, data())
    assert same_batches(batch, again)


def test_given_a_base_model_when_patterns_change_then_old_columns_stay_and_dim_grows(
    tmp_path: Path,
) -> None:
    base, base_batch = train(RegexFeaturizer, {}, data())
    base.persist(tmp_path)
    changed = data(
        regexes=(("greet", (r"hello",)), ("amount", (r"\d+ EUR",))),
        lookups=(("city", ("Paris", "Berlin")),),
    )
    grown, batch = train(RegexFeaturizer, {}, changed, finetune_from=tmp_path)
    assert batch.dim == base_batch.dim + 1
    keys = [p.key if p else None for p in grown.patterns]
    assert keys == [None, None, "regex:greet:hello", "lookup:city", "regex:amount:\\d+ EUR"]
    msg = message("send 20 EUR to Paris")
    grown.process(msg)
    assert dense_sentence(msg.features["1_Featurizer"]).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_given_additional_patterns_when_fine_tuned_then_spare_columns_are_used(
    tmp_path: Path,
) -> None:
    config = {"number_additional_patterns": 3}
    base, base_batch = train(RegexFeaturizer, config, data())
    assert base_batch.dim == 7
    base.persist(tmp_path)
    more = data(regexes=(*REGEXES, ("amount", (r"\d+ EUR",))))
    _, batch = train(RegexFeaturizer, config, more, finetune_from=tmp_path)
    assert batch.dim == 7


def test_given_banking77_when_featurized_then_it_completes() -> None:
    full = banking77_data()
    with_patterns = nlu_data(
        [example.text for example in full.nlu.examples],
        regexes=(("amount", (r"\d+(?:\.\d+)?",)),),
        lookups=(("currency", ("euro", "euros", "dollar", "dollars", "pound", "GBP")),),
    )
    _, batch = train(RegexFeaturizer, {"case_sensitive": False}, with_patterns)
    assert len(batch.items) == len(full.nlu.examples)
    assert any(item.sent_cols.size for item in batch.items)


def test_given_two_lookups_with_one_name_when_trained_then_they_make_one_pattern() -> None:
    lookups = (("city", ("Berlin",)), ("city", ("Paris",)))
    featurizer, batch = train(RegexFeaturizer, {}, data(["Paris or Berlin"], lookups=lookups))
    assert [p.key for p in featurizer.patterns if p][-1] == "lookup:city"
    assert batch.dim == 4
    assert dense_sequence(batch.items[0], 3)[:, 3].tolist() == [1.0, 0.0, 1.0]
