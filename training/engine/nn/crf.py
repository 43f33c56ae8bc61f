"""A linear-chain CRF: log-likelihood (forward algorithm) in TensorFlow for training, Viterbi
decoding and tag marginals (forward-backward) in NumPy for inference on one sequence."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import tensorflow as tf

FloatArray = npt.NDArray[np.float32]


def crf_log_likelihood(potentials: Any, tags: Any, lengths: Any, transitions: Any) -> Any:
    """Log-probability of ``tags`` [B, T] given unary ``potentials`` [B, T, K], the pairwise
    ``transitions`` [K, K] (from tag i to tag j) and the true ``lengths`` [B] (>= 1)."""
    time_steps = tf.shape(potentials)[1]
    mask = tf.sequence_mask(lengths, time_steps, dtype=potentials.dtype)
    unary = tf.reduce_sum(tf.gather(potentials, tags, batch_dims=2) * mask, axis=1)
    pairs = tf.stack([tags[:, :-1], tags[:, 1:]], axis=-1)
    binary = tf.reduce_sum(tf.gather_nd(transitions, pairs) * mask[:, 1:], axis=1)
    return unary + binary - crf_log_partition(potentials, mask, transitions)


def crf_log_partition(potentials: Any, mask: Any, transitions: Any) -> Any:
    first = potentials[:, 0]
    steps = (tf.transpose(potentials[:, 1:], [1, 0, 2]), tf.transpose(mask[:, 1:], [1, 0]))

    def step(alpha: Any, inputs: Any) -> Any:
        potential, keep = inputs
        advanced = tf.reduce_logsumexp(alpha[:, :, None] + transitions[None], axis=1) + potential
        return tf.where(keep[:, None] > 0, advanced, alpha)

    alphas = tf.scan(step, steps, initializer=first)
    last = tf.concat([first[None], alphas], axis=0)[-1]
    return tf.reduce_logsumexp(last, axis=1)


def viterbi_decode(potentials: FloatArray, transitions: FloatArray) -> tuple[list[int], float]:
    """The best tag path of one sequence (potentials [T, K]) and its score."""
    length = potentials.shape[0]
    if length == 0:
        return [], 0.0
    score = potentials[0].copy()
    backpointers = np.zeros(potentials.shape, dtype=np.int64)
    for t in range(1, length):
        candidates = score[:, None] + transitions
        backpointers[t] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + potentials[t]
    best = [int(score.argmax())]
    for t in range(length - 1, 0, -1):
        best.append(int(backpointers[t, best[-1]]))
    best.reverse()
    return best, float(score.max())


def tag_marginals(potentials: FloatArray, transitions: FloatArray) -> FloatArray:
    """P(tag at t = k) for one sequence, by forward-backward in log space: [T, K]."""
    length, size = potentials.shape
    alpha = np.zeros((length, size), dtype=np.float64)
    beta = np.zeros((length, size), dtype=np.float64)
    alpha[0] = potentials[0]
    for t in range(1, length):
        alpha[t] = _logsumexp(alpha[t - 1][:, None] + transitions, axis=0) + potentials[t]
    for t in range(length - 2, -1, -1):
        beta[t] = _logsumexp(transitions + (potentials[t + 1] + beta[t + 1])[None], axis=1)
    log_z = _logsumexp(alpha[-1], axis=0)
    return np.exp(alpha + beta - log_z).astype(np.float32)


def _logsumexp(values: Any, axis: int) -> Any:
    peak = values.max(axis=axis, keepdims=True)
    return np.squeeze(peak, axis=axis) + np.log(np.exp(values - peak).sum(axis=axis))
