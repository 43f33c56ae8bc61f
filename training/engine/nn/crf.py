"""A linear-chain CRF: log-likelihood (forward algorithm) in TensorFlow for training, Viterbi
decoding and tag marginals (forward-backward) in NumPy for inference on one sequence."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import tensorflow as tf

FloatArray = npt.NDArray[np.float32]
TINY = 1e-30  # keeps log() finite where every path into a tag underflowed


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
    """The forward algorithm, one [B, K] state per step: logsumexp over the previous tag is an
    exp-space matrix product (shifted by the maxima for stability), so no [B, K, K] tensor is
    kept per time step for the gradient."""
    first = potentials[:, 0]
    peak = tf.reduce_max(transitions)
    exp_transitions = tf.exp(transitions - peak)
    steps = (tf.transpose(potentials[:, 1:], [1, 0, 2]), tf.transpose(mask[:, 1:], [1, 0]))

    def step(alpha: Any, inputs: Any) -> Any:
        potential, keep = inputs
        top = tf.reduce_max(alpha, axis=1, keepdims=True)
        summed = tf.exp(alpha - top) @ exp_transitions
        advanced = tf.math.log(summed + TINY) + top + peak + potential
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
    columns = np.arange(potentials.shape[1])
    for t in range(1, length):
        candidates = score[:, None] + transitions
        best = candidates.argmax(axis=0)
        backpointers[t] = best
        score = candidates[best, columns] + potentials[t]
    best = [int(score.argmax())]
    for t in range(length - 1, 0, -1):
        best.append(int(backpointers[t, best[-1]]))
    best.reverse()
    return best, float(score.max())


def tag_marginals(potentials: FloatArray, transitions: FloatArray) -> FloatArray:
    """P(tag at t = k) for one sequence, by scaled forward-backward: [T, K]."""
    length, size = potentials.shape
    expt = np.exp(transitions.astype(np.float64) - transitions.max())
    unary = np.exp(potentials.astype(np.float64) - potentials.max(axis=1, keepdims=True))
    alpha = np.zeros((length, size))
    beta = np.ones((length, size))
    alpha[0] = unary[0] / unary[0].sum()
    for t in range(1, length):
        row = (alpha[t - 1] @ expt) * unary[t]
        alpha[t] = row / max(row.sum(), 1e-300)
    for t in range(length - 2, -1, -1):
        row = expt @ (unary[t + 1] * beta[t + 1])
        beta[t] = row / max(row.sum(), 1e-300)
    joint = alpha * beta
    return (joint / np.maximum(joint.sum(axis=1, keepdims=True), 1e-300)).astype(np.float32)


def _logsumexp(values: Any, axis: int) -> Any:
    peak = values.max(axis=axis, keepdims=True)
    return np.squeeze(peak, axis=axis) + np.log(np.exp(values - peak).sum(axis=axis))
