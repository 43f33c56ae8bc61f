from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.engine.components.featurizer_helpers import (
    banking77_data,
    dense_sequence,
    message,
    nlu_data,
    persisted,
    same_batches,
    same_features,
    train,
)
from training.engine.components.lexical_featurizer import (
    LexicalSyntacticFeaturizer,
    stable_hash,
)

TEXTS = ["Hello World", "send 42 EUR to Anna", "hello"]


def test_given_default_config_when_featurized_then_dim_is_the_fixed_feature_space() -> None:
    _, batch = train(LexicalSyntacticFeaturizer, {}, nlu_data(TEXTS))
    assert batch.dim == 2**14
    assert all(item.dim == 2**14 for item in batch.items)


def test_given_a_message_when_featurized_then_sequence_rows_only_and_no_sentence() -> None:
    _, batch = train(LexicalSyntacticFeaturizer, {}, nlu_data(TEXTS))
    second = batch.items[1]
    assert sorted(set(second.seq_rows.tolist())) == [0, 1, 2, 3, 4]
    assert second.sent_cols.size == 0 and second.sent_vals.size == 0
    assert set(second.seq_vals.tolist()) == {1.0}


def test_given_a_token_when_featurized_then_its_features_are_the_hashed_columns() -> None:
    config = {"features": [["BOS", "digit", "suffix2"]], "feature_space_size": 1000}
    _, batch = train(LexicalSyntacticFeaturizer, config, nlu_data(["send 42"]))
    rows = dense_sequence(batch.items[0], 2)
    expected = {stable_hash(key, 1000) for key in ("0:BOS:False", "0:digit:True", "0:suffix2:42")}
    assert set(rows[1].nonzero()[0].tolist()) == expected


def test_given_a_window_when_featurized_then_neighbours_features_are_included() -> None:
    config = {"features": [["upper"], [], ["title"]], "feature_space_size": 997}
    _, batch = train(LexicalSyntacticFeaturizer, config, nlu_data(["OK fine Then"]))
    rows = dense_sequence(batch.items[0], 3)
    assert set(rows[0].nonzero()[0].tolist()) == {stable_hash("1:title:False", 997)}
    assert set(rows[1].nonzero()[0].tolist()) == {
        stable_hash("-1:upper:True", 997),
        stable_hash("1:title:True", 997),
    }
    assert set(rows[2].nonzero()[0].tolist()) == {stable_hash("-1:upper:False", 997)}


def test_given_an_even_window_or_unknown_feature_when_configured_then_a_clear_error() -> None:
    with pytest.raises(ValueError, match="odd"):
        LexicalSyntacticFeaturizer({"features": [["low"], ["low"]]})
    with pytest.raises(ValueError, match="unsupported features \\['shape'\\]"):
        LexicalSyntacticFeaturizer({"features": [["shape"]]})


def test_given_a_trained_featurizer_when_persisted_and_loaded_then_same_features(
    tmp_path: Path,
) -> None:
    featurizer, batch = train(LexicalSyntacticFeaturizer, {}, nlu_data(TEXTS))
    loaded = persisted(featurizer, {}, tmp_path)
    for text, expected in zip(TEXTS, batch.items, strict=True):
        msg = message(text)
        loaded.process(msg)
        assert same_features(msg.features["1_Featurizer"], expected)


def test_given_more_data_when_fine_tuned_then_dim_is_unchanged_and_output_deterministic(
    tmp_path: Path,
) -> None:
    base, first = train(LexicalSyntacticFeaturizer, {}, nlu_data(TEXTS))
    base.persist(tmp_path)
    _, grown = train(
        LexicalSyntacticFeaturizer, {}, nlu_data([*TEXTS, "new words"]), finetune_from=tmp_path
    )
    assert grown.dim == first.dim
    _, again = train(LexicalSyntacticFeaturizer, {}, nlu_data(TEXTS))
    assert same_batches(first, again)


def test_given_banking77_when_featurized_then_it_completes() -> None:
    data = banking77_data()
    _, batch = train(LexicalSyntacticFeaturizer, {}, data)
    assert len(batch.items) == len(data.nlu.examples)
