from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from tests.training.engine.nn.toy_data import TOY_EXAMPLES, ToyPipeline
from training.engine.messages import SparseFeatures
from training.engine.nn.batching import (
    PAD_TOKENS,
    TrainingExample,
    batch_size_for_epoch,
    make_batch,
)
from training.engine.nn.diet_model import (
    DietModel,
    FloatArray,
    ModelSpec,
    Prediction,
    initial_weights,
)
from training.engine.nn.sparse_input import EncodedText, encode_text

Examples = list[tuple[int, list[SparseFeatures | None]]]


def _toy(seed: int, **spec: Any) -> tuple[ModelSpec, dict[str, FloatArray], Examples]:
    """A spec over the toy pipeline's sources (``spec``: the rest of it), its initial weights,
    and each toy example's (tokens, features)."""
    inputs = ToyPipeline().inputs(TOY_EXAMPLES)
    model_spec = ModelSpec(
        sources=tuple((b.source, b.dim) for b in inputs.features),
        units=16,
        heads=2,
        embedding_dim=8,
        n_intents=3,
        **spec,
    )
    assert inputs.tokens is not None
    examples: Examples = [
        (len(tokens), [b.items[i] for b in inputs.features])
        for i, tokens in enumerate(inputs.tokens)
    ]
    return model_spec, initial_weights(model_spec, seed=seed), examples


def _model_and_features() -> tuple[DietModel, Examples]:
    """A model with idf weights on its first source, and each toy example's (tokens, features)."""
    spec, weights, examples = _toy(5, layers=1, tag_heads=(("entity", 5), ("role", 3)))
    words, dim = spec.sources[0]
    weights[f"idf.{words}"] = np.random.default_rng(1).uniform(0.5, 3.0, dim).astype(np.float32)
    return DietModel(spec, weights), examples


def _per_source(
    model: DietModel, n_tokens: int, features: list[SparseFeatures | None]
) -> Prediction:
    dims = [d for _, d in model.spec.sources]
    return model.predict(encode_text(n_tokens, features, dims, model.idfs()))


def _assert_same(first: Prediction, second: Prediction) -> None:
    assert first.intent_scores is not None and second.intent_scores is not None
    np.testing.assert_allclose(first.intent_scores, second.intent_scores, atol=1e-5)
    assert first.potentials.keys() == second.potentials.keys()
    for head, potentials in first.potentials.items():
        np.testing.assert_allclose(potentials, second.potentials[head], atol=1e-5)


def test_given_messages_when_predicting_from_their_features_then_as_source_by_source() -> None:
    model, examples = _model_and_features()
    words, chars = examples[8][1]
    assert words is not None and chars is not None
    beyond = SparseFeatures(  # a vocabulary grown since training, and a token past the message
        words.dim + 3,
        np.concatenate([words.seq_rows, [0, 9]]).astype(np.int32),
        np.concatenate([words.seq_cols, [words.dim + 1, 0]]).astype(np.int32),
        np.concatenate([words.seq_vals, [1.0, 1.0]]).astype(np.float32),
        np.concatenate([words.sent_cols, [words.dim + 2]]).astype(np.int32),
        np.concatenate([words.sent_vals, [2.0]]).astype(np.float32),
    )
    cases: Examples = [
        *examples,
        (examples[8][0], [None, chars]),  # a featurizer that found nothing
        (examples[8][0], [beyond, chars]),
        (0, [SparseFeatures.empty(words.dim), SparseFeatures.empty(chars.dim)]),
    ]

    for n_tokens, features in cases:
        _assert_same(
            model.predict_features(n_tokens, features), _per_source(model, n_tokens, features)
        )


def test_given_new_weights_when_predicting_then_the_stacked_inputs_follow_them() -> None:
    model, examples = _model_and_features()
    n_tokens, features = examples[9]
    before = model.predict_features(n_tokens, features)
    name = f"input.{model.spec.sources[1][0]}"
    assert model.weights[name].base is not None  # a view of the stacked table: no second copy

    model.weights = {**model.weights, name: model.weights[name] * 3.0}  # as after training
    after = model.predict_features(n_tokens, features)

    _assert_same(after, _per_source(model, n_tokens, features))
    assert before.intent_scores is not None and after.intent_scores is not None
    assert not np.allclose(before.intent_scores, after.intent_scores)
    words, dim = model.spec.sources[0]
    model.weights[f"idf.{words}"] = np.full(dim, 0.25, np.float32)  # set in place, as training
    _assert_same(model.predict_features(n_tokens, features), _per_source(model, n_tokens, features))


def _model_and_texts() -> tuple[DietModel, list[EncodedText]]:
    spec, weights, examples = _toy(3, layers=2, hidden_sizes=(24,), tag_heads=(("entity", 5),))
    dims = [d for _, d in spec.sources]
    texts = [encode_text(n_tokens, features, dims) for n_tokens, features in examples]
    return DietModel(spec, weights), texts


def test_given_a_padded_batch_when_encoding_then_each_row_matches_the_numpy_forward() -> None:
    model, texts = _model_and_texts()
    trainer = model.trainer(0.01, 0.2, seed=1)
    chosen = [TrainingExample(t) for t in texts[:5]]  # lengths 2, 2, 2, 1, 2: padding
    batch = {k: tf.constant(v) for k, v in make_batch(model.spec, chosen, (1, 0)).items()}

    states = trainer.encode(batch, training=False)
    scores = trainer.intent_scores(states).numpy()
    potentials = trainer.tag_potentials(states, "entity").numpy()

    assert scores.shape == (5, 3)
    assert potentials.shape == (5, PAD_TOKENS, 5)  # padded to a multiple of PAD_TOKENS
    for row, text in enumerate(texts[:5]):
        single = model.predict(text)
        assert single.intent_scores is not None
        np.testing.assert_allclose(scores[row], single.intent_scores, atol=1e-4)
        n = text.n_tokens
        np.testing.assert_allclose(potentials[row, :n], single.potentials["entity"], atol=1e-4)


def test_given_grown_features_when_widening_then_old_rows_are_kept_and_new_rows_are_zero() -> None:
    model, _ = _model_and_texts()
    (words, word_dim), (chars, char_dim) = model.spec.sources

    wider = model.widened(((words, word_dim + 4), (chars, char_dim)), seed=0)

    table = wider.weights[f"input.{words}"]
    assert table.shape[0] == word_dim + 4
    np.testing.assert_array_equal(table[:word_dim], model.weights[f"input.{words}"])
    assert not table[word_dim:].any()


def test_given_a_shrunk_source_when_widening_then_it_is_refused() -> None:
    model, _ = _model_and_texts()
    (words, word_dim), chars = model.spec.sources

    try:
        model.widened(((words, word_dim - 1), chars), seed=0)
    except ValueError as error:
        assert "shrank" in str(error)
    else:
        raise AssertionError("a shrinking vocabulary must be refused")


def test_given_a_batch_size_range_when_scheduling_then_it_grows_in_steps_of_the_first() -> None:
    sizes = [batch_size_for_epoch([64, 256], e, 5) for e in range(5)]

    assert sizes == [64, 64, 128, 192, 256]
    assert batch_size_for_epoch([64, 100], 4, 5) == 100
    assert batch_size_for_epoch(32, 3, 5) == 32
