"""KerasPolicy: the LSTM policy of the Rasa Core docs. The window of the last ``max_history``
state vectors, left-padded and masked (a padded step leaves the LSTM state as it was), runs
through one LSTM of ``rnn_size`` units; a dense softmax over the actions reads its last output.

``epochs`` keeps Rasa's default, 100: training sees each distinct (window, action) pair once
per epoch (duplicates from augmentation are dropped), so an epoch is a few batches and the
default trains in about a second on a small story set; ``learning_rate`` is 0.01 (Keras'
Adam default is 0.001: too slow for so few steps). ``validation_split`` is accepted for
compatibility and changes nothing: every window trains.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from training.engine.component import register
from training.engine.components.window_policy import (
    Ops,
    PolicyConfigError,
    Weights,
    WindowPolicy,
    glorot,
    zeros,
)


@register
class KerasPolicy(WindowPolicy):
    name = "KerasPolicy"
    version = 1
    input_weight: ClassVar[str] = "w_x"
    ignored_keys: ClassVar[dict[str, Any]] = {"validation_split": 0.1}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        if int(self.config["rnn_size"]) <= 0:
            raise PolicyConfigError(f"{self.name}: rnn_size must be a positive number")

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {
            **super().get_default_config(),
            "rnn_size": 32,
            "epochs": 100,
            "learning_rate": 0.01,
        }

    def initial_weights(self, n_features: int, n_actions: int, seed: int) -> Weights:
        rng = np.random.default_rng(seed)
        units = int(self.config["rnn_size"])
        bias = zeros(4 * units)
        bias[units : 2 * units] = 1.0  # forget gate open at first, as Keras does
        recurrent = np.concatenate(
            [np.linalg.qr(rng.normal(size=(units, units)))[0] for _ in range(4)], axis=1
        )
        return {
            "w_x": glorot(rng, n_features, 4 * units),
            "w_h": recurrent.astype(np.float32),
            "b": bias,
            "w_out": glorot(rng, units, n_actions),
            "b_out": zeros(n_actions),
        }

    def forward(self, weights: dict[str, Any], x: Any, mask: Any, ops: Ops) -> Any:
        units = int(self.config["rnn_size"])
        first = x[:, 0, :] @ weights["w_x"]
        h = first[:, :units] * 0.0
        c = h
        for t in range(self.max_history):
            z = x[:, t, :] @ weights["w_x"] + h @ weights["w_h"] + weights["b"]
            gate_in = ops.sigmoid(z[:, :units])
            gate_forget = ops.sigmoid(z[:, units : 2 * units])
            candidate = ops.tanh(z[:, 2 * units : 3 * units])
            gate_out = ops.sigmoid(z[:, 3 * units :])
            new_c = gate_forget * c + gate_in * candidate
            new_h = gate_out * ops.tanh(new_c)
            real = mask[:, t : t + 1]
            h = real * new_h + (1.0 - real) * h
            c = real * new_c + (1.0 - real) * c
        return h @ weights["w_out"] + weights["b_out"]
