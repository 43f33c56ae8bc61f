from __future__ import annotations

import itertools

import numpy as np
import tensorflow as tf

from training.engine.nn.crf import crf_log_likelihood, tag_marginals, viterbi_decode


def _score(potentials: np.ndarray, transitions: np.ndarray, path: tuple[int, ...]) -> float:
    total = sum(potentials[t, k] for t, k in enumerate(path))
    return float(total + sum(transitions[a, b] for a, b in itertools.pairwise(path)))


def _tiny(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(4, 3)).astype(np.float32),
        rng.normal(size=(3, 3)).astype(np.float32),
    )


def test_given_a_tiny_sequence_when_computing_log_likelihood_then_it_matches_brute_force() -> None:
    potentials, transitions = _tiny()
    paths = list(itertools.product(range(3), repeat=3))  # true length 3 of a padded 4
    log_z = np.log(sum(np.exp(_score(potentials[:3], transitions, p)) for p in paths))
    gold = (2, 0, 1)

    result = crf_log_likelihood(
        tf.constant(potentials[None]),
        tf.constant([[*gold, 0]], dtype=tf.int32),
        tf.constant([3]),
        tf.constant(transitions),
    )

    expected = _score(potentials[:3], transitions, gold) - log_z
    np.testing.assert_allclose(result.numpy()[0], expected, rtol=1e-5)


def test_given_a_length_one_batch_when_computing_log_likelihood_then_it_is_a_softmax() -> None:
    potentials, transitions = _tiny(1)

    result = crf_log_likelihood(
        tf.constant(potentials[None, :1]),
        tf.constant([[1]], dtype=tf.int32),
        tf.constant([1]),
        tf.constant(transitions),
    )

    expected = potentials[0, 1] - np.log(np.exp(potentials[0]).sum())
    np.testing.assert_allclose(result.numpy()[0], expected, rtol=1e-5)


def test_given_potentials_when_decoding_then_viterbi_finds_the_best_path() -> None:
    potentials, transitions = _tiny(2)
    paths = list(itertools.product(range(3), repeat=4))
    best = max(paths, key=lambda p: _score(potentials, transitions, p))

    path, score = viterbi_decode(potentials, transitions)

    assert tuple(path) == best
    assert abs(score - _score(potentials, transitions, best)) < 1e-4


def test_given_potentials_when_computing_marginals_then_they_match_brute_force() -> None:
    potentials, transitions = _tiny(3)
    paths = list(itertools.product(range(3), repeat=4))
    weights = np.array([np.exp(_score(potentials, transitions, p)) for p in paths])
    expected = np.zeros((4, 3))
    for p, w in zip(paths, weights / weights.sum(), strict=True):
        for t, k in enumerate(p):
            expected[t, k] += w

    np.testing.assert_allclose(tag_marginals(potentials, transitions), expected, atol=1e-5)
