from __future__ import annotations

import numpy as np
import tensorflow as tf

from tests.training.engine.nn.toy_data import TOY_EXAMPLES, ToyPipeline
from training.engine.nn.batching import (
    PAD_TOKENS,
    TrainingExample,
    batch_size_for_epoch,
    make_batch,
)
from training.engine.nn.diet_model import DietModel, ModelSpec, initial_weights
from training.engine.nn.sparse_input import EncodedText, encode_text


def _model_and_texts() -> tuple[DietModel, list[EncodedText]]:
    inputs = ToyPipeline().inputs(TOY_EXAMPLES)
    spec = ModelSpec(
        sources=tuple((b.source, b.dim) for b in inputs.features),
        units=16,
        layers=2,
        heads=2,
        hidden_sizes=(24,),
        embedding_dim=8,
        n_intents=3,
        tag_heads=(("entity", 5),),
    )
    dims = [d for _, d in spec.sources]
    assert inputs.tokens is not None
    texts = [
        encode_text(len(tokens), [b.items[i] for b in inputs.features], dims)
        for i, tokens in enumerate(inputs.tokens)
    ]
    return DietModel(spec, initial_weights(spec, seed=3)), texts


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
