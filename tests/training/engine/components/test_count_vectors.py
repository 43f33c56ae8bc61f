from __future__ import annotations

from pathlib import Path

import numpy as np
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
from training.engine.components.count_vectors import (
    CountVectorsFeaturizer,
    _summed_by_column,
    char_ngrams,
    word_ngrams,
)

WORDS = ["I want a card", "the card is lost", "Card card"]


def test_given_a_word_when_char_ngrams_then_all_lengths_in_range() -> None:
    assert char_ngrams(" ab ", 1, 2) == [" ", "a", "b", " ", " a", "ab", "b "]
    assert char_ngrams("ab", 3, 4) == []


def test_given_words_when_word_ngrams_then_ngrams_span_tokens() -> None:
    assert word_ngrams(["a", "b", "c"], 1, 2) == ["a", "b", "c", "a b", "b c"]


def test_given_the_word_analyzer_when_featurized_then_tokens_count_lowercased_words() -> None:
    featurizer, batch = train(CountVectorsFeaturizer, {}, nlu_data(WORDS))
    vocabulary = featurizer.vocabulary
    assert sorted(vocabulary) == ["a", "card", "i", "is", "lost", "the", "want"]
    assert batch.dim == 7 and batch.source == "1_Featurizer"
    third = batch.items[2]
    sequence = dense_sequence(third, 2)
    assert sequence[0, vocabulary["card"]] == 1.0 and sequence[1, vocabulary["card"]] == 1.0
    sentence = dense_sentence(third)
    assert sentence[vocabulary["card"]] == 2.0 and sentence.sum() == 2.0
    assert third.seq_vals.dtype == np.float32 and third.seq_cols.dtype == np.int32


def test_given_word_bigrams_when_featurized_then_the_sentence_has_bigrams_tokens_do_not() -> None:
    featurizer, batch = train(CountVectorsFeaturizer, {"max_ngram": 2}, nlu_data(WORDS))
    assert "card is" in featurizer.vocabulary
    second = batch.items[1]
    assert dense_sentence(second)[featurizer.vocabulary["card is"]] == 1.0
    assert dense_sequence(second, 4)[:, featurizer.vocabulary["card is"]].sum() == 0.0


def test_given_char_wb_when_featurized_then_tokens_count_padded_char_ngrams() -> None:
    config = {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 3}
    featurizer, batch = train(CountVectorsFeaturizer, config, nlu_data(["aa aa"]))
    assert sorted(featurizer.vocabulary) == [" a", " aa", "a ", "aa", "aa "]
    first = batch.items[0]
    assert dense_sequence(first, 2)[0].sum() == 5.0
    assert dense_sentence(first)[featurizer.vocabulary["aa"]] == 2.0


def test_given_the_char_analyzer_when_featurized_then_the_sentence_spans_words() -> None:
    config = {"analyzer": "char", "min_ngram": 3, "max_ngram": 3}
    featurizer, batch = train(CountVectorsFeaturizer, config, nlu_data(["ab cd"]))
    assert "b c" in featurizer.vocabulary
    assert dense_sequence(batch.items[0], 2).sum() == 0.0  # tokens shorter than 3 chars
    assert dense_sentence(batch.items[0]).sum() == 3.0


def test_given_lowercase_false_when_trained_then_case_is_kept() -> None:
    featurizer, _ = train(CountVectorsFeaturizer, {"lowercase": False}, nlu_data(WORDS))
    assert {"Card", "card", "I"} <= set(featurizer.vocabulary)


def test_given_min_df_and_max_features_when_trained_then_rare_grams_are_left_out() -> None:
    featurizer, _ = train(CountVectorsFeaturizer, {"min_df": 2}, nlu_data(WORDS))
    assert sorted(featurizer.vocabulary) == ["card"]
    featurizer, _ = train(CountVectorsFeaturizer, {"max_features": 2}, nlu_data(WORDS))
    assert sorted(featurizer.vocabulary) == ["a", "card"]
    featurizer, _ = train(CountVectorsFeaturizer, {"max_df": 0.5}, nlu_data(WORDS))
    assert "card" not in featurizer.vocabulary


def test_given_an_oov_token_when_processing_unknown_words_then_they_count_as_oov() -> None:
    config = {"OOV_token": "oov", "OOV_words": ["Lost"]}
    featurizer, _ = train(CountVectorsFeaturizer, config, nlu_data(WORDS))
    assert "lost" not in featurizer.vocabulary and "oov" in featurizer.vocabulary
    msg = message("card stolen lost")
    featurizer.process(msg)
    sentence = dense_sentence(msg.features["1_Featurizer"])
    assert sentence[featurizer.vocabulary["oov"]] == 2.0
    assert sentence[featurizer.vocabulary["card"]] == 1.0


def test_given_an_unknown_analyzer_when_configured_then_a_clear_error() -> None:
    with pytest.raises(ValueError, match="analyzer"):
        CountVectorsFeaturizer({"analyzer": "bytes"})


@pytest.mark.parametrize(
    "config", [{}, {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4}, {"max_ngram": 2}]
)
def test_given_a_trained_featurizer_when_persisted_and_loaded_then_same_features(
    tmp_path: Path, config: dict[str, object]
) -> None:
    featurizer, batch = train(CountVectorsFeaturizer, config, nlu_data(WORDS))
    loaded = persisted(featurizer, config, tmp_path)
    for text, expected in zip(WORDS, batch.items, strict=True):
        msg = message(text)
        loaded.process(msg)
        assert same_features(msg.features["1_Featurizer"], expected)


def test_given_the_same_data_when_trained_twice_then_identical_output() -> None:
    config = {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3}
    _, first = train(CountVectorsFeaturizer, config, nlu_data(WORDS))
    _, second = train(CountVectorsFeaturizer, config, nlu_data(WORDS))
    assert same_batches(first, second)


@pytest.mark.parametrize("config", [{}, {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4}])
def test_given_a_base_model_when_fine_tuned_with_new_words_then_old_indices_stay(
    tmp_path: Path, config: dict[str, object]
) -> None:
    base, base_batch = train(CountVectorsFeaturizer, config, nlu_data(WORDS))
    base.persist(tmp_path)
    grown, grown_batch = train(
        CountVectorsFeaturizer, config, nlu_data([*WORDS, "zebra quokka"]), finetune_from=tmp_path
    )
    assert grown_batch.dim > base_batch.dim
    for gram, index in base.vocabulary.items():
        assert grown.vocabulary[gram] == index
    assert sorted(grown.vocabulary.values()) == list(range(grown_batch.dim))
    assert min(grown.vocabulary[gram] for gram in set(grown.vocabulary) - set(base.vocabulary)) == (
        base_batch.dim
    )


def test_given_a_base_model_when_fine_tuned_with_fewer_words_then_dim_does_not_shrink(
    tmp_path: Path,
) -> None:
    base, base_batch = train(CountVectorsFeaturizer, {}, nlu_data(WORDS))
    base.persist(tmp_path)
    _, batch = train(CountVectorsFeaturizer, {}, nlu_data(WORDS[:1]), finetune_from=tmp_path)
    assert batch.dim == base_batch.dim


def test_given_banking77_when_featurized_with_char_wb_then_it_completes() -> None:
    data = banking77_data()
    config = {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4}
    featurizer, batch = train(CountVectorsFeaturizer, config, data)
    assert len(batch.items) == len(data.nlu.examples)
    assert batch.dim == featurizer.dim > 1000
    assert all(item.sent_cols.size for item in batch.items)


def test_given_columns_when_summed_by_column_then_it_is_unique_and_bincount() -> None:
    rng = np.random.default_rng(7)
    for size in (0, 1, 2, 9, 120):
        columns = rng.integers(0, size // 2 + 1, size).astype(np.int32)
        values = rng.random(size).astype(np.float32)
        distinct, inverse = np.unique(columns, return_inverse=True)
        expected = np.bincount(inverse, weights=values, minlength=len(distinct))

        got_columns, got_values = _summed_by_column(columns, values)

        np.testing.assert_array_equal(got_columns, distinct)
        np.testing.assert_array_equal(got_values, expected)  # the same sums, in the same order
