"""TEDPolicy: a small transformer over the window of the last ``max_history`` dialogue states
(in the spirit of Rasa's TED, Vlasov et al. 2019), with a softmax over the assistant's actions.

Each state's multi-hot vector is embedded, a learned position added, and
``number_of_transformer_layers`` pre-norm layers (single-head attention over the real states,
then a ReLU feed-forward) run; the last state's output goes through an embedding layer to the
action scores. Defaults differ from Rasa's for training speed on small story sets:
``epochs`` 60 (Rasa: 1), ``transformer_size`` 64 (Rasa: 128), ``learning_rate`` 0.005
(Rasa: 0.001). Rasa's other TED keys are accepted and change nothing here.
"""

from __future__ import annotations

import math
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

IGNORED_TED_KEYS: dict[str, Any] = {
    "number_of_attention_heads": 4,
    "hidden_layers_sizes": {"text": [], "action_text": [], "label_action_text": []},
    "dense_dimension": {"text": 128, "action_text": 128, "label_action_text": 128},
    "concat_dimension": {"text": 128, "action_text": 128, "label_action_text": 128},
    "encoding_dimension": 50,
    "unidirectional_encoder": False,
    "use_key_relative_attention": False,
    "use_value_relative_attention": False,
    "max_relative_position": None,
    "number_of_negative_examples": 20,
    "similarity_type": "auto",
    "loss_type": "cross_entropy",
    "ranking_length": 0,
    "renormalize_confidences": False,
    "maximum_positive_similarity": 0.8,
    "maximum_negative_similarity": -0.2,
    "use_maximum_negative_similarity": True,
    "scale_loss": True,
    "regularization_constant": 0.001,
    "negative_margin_scale": 0.8,
    "drop_rate_dialogue": 0.1,
    "drop_rate_label": 0.0,
    "drop_rate_attention": 0.0,
    "connection_density": 0.2,
    "use_sparse_input_dropout": True,
    "use_dense_input_dropout": True,
    "use_gpu": True,
    "evaluate_every_number_of_epochs": 20,
    "evaluate_on_number_of_examples": 0,
    "tensorboard_log_directory": None,
    "tensorboard_log_level": "epoch",
    "checkpoint_model": False,
    "e2e_confidence_threshold": 0.5,
    "featurizers": [],
    "entity_recognition": True,
    "constrain_similarities": False,
    "model_confidence": "softmax",
    "BILOU_flag": True,
    "split_entities_by_comma": True,
    "intent_classification": True,
    "use_masked_language_model": False,
    "run_eagerly": False,
    "max_history_featurizer": None,
    "state_featurizer": None,
}
NEG_INF = -1e9


@register
class TEDPolicy(WindowPolicy):
    name = "TEDPolicy"
    version = 1
    ignored_keys: ClassVar[dict[str, Any]] = IGNORED_TED_KEYS

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        for key in ("transformer_size", "number_of_transformer_layers", "embedding_dimension"):
            if int(self.config[key]) <= 0 and key != "number_of_transformer_layers":
                raise PolicyConfigError(f"{self.name}: {key} must be a positive number")
        if int(self.config["number_of_transformer_layers"]) < 0:
            raise PolicyConfigError(f"{self.name}: number_of_transformer_layers must be >= 0")

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {
            **super().get_default_config(),
            "transformer_size": 64,
            "number_of_transformer_layers": 1,
            "embedding_dimension": 20,
        }

    def initial_weights(self, n_features: int, n_actions: int, seed: int) -> Weights:
        rng = np.random.default_rng(seed)
        units = int(self.config["transformer_size"])
        embedding = int(self.config["embedding_dimension"])
        weights: Weights = {
            "w_in": glorot(rng, n_features, units),
            "b_in": zeros(units),
            "position": (rng.normal(0.0, 0.02, (self.max_history, units))).astype(np.float32),
            "w_embed": glorot(rng, units, embedding),
            "b_embed": zeros(embedding),
            "w_out": glorot(rng, embedding, n_actions),
            "b_out": zeros(n_actions),
        }
        for layer in range(int(self.config["number_of_transformer_layers"])):
            for part in ("query", "key", "value", "output"):
                weights[f"l{layer}.{part}"] = glorot(rng, units, units)
            weights[f"l{layer}.ff1"] = glorot(rng, units, 2 * units)
            weights[f"l{layer}.ff1_bias"] = zeros(2 * units)
            weights[f"l{layer}.ff2"] = glorot(rng, 2 * units, units)
            weights[f"l{layer}.ff2_bias"] = zeros(units)
        return weights

    def forward(self, weights: dict[str, Any], x: Any, mask: Any, ops: Ops) -> Any:
        units = int(self.config["transformer_size"])
        h = x @ weights["w_in"] + weights["b_in"] + weights["position"]
        # padded states are never attended to; the last state is always real (left padding)
        key_bias = (1.0 - mask[:, None, :]) * NEG_INF
        for layer in range(int(self.config["number_of_transformer_layers"])):
            p = f"l{layer}."
            a = _layer_norm(h, ops)
            q, k, v = a @ weights[p + "query"], a @ weights[p + "key"], a @ weights[p + "value"]
            scores = q @ ops.transpose(k) / math.sqrt(units) + key_bias
            h = h + (ops.softmax(scores) @ v) @ weights[p + "output"]
            inner = ops.relu(_layer_norm(h, ops) @ weights[p + "ff1"] + weights[p + "ff1_bias"])
            h = h + inner @ weights[p + "ff2"] + weights[p + "ff2_bias"]
        last = _layer_norm(h[:, -1, :], ops)
        embedded = ops.relu(last @ weights["w_embed"] + weights["b_embed"])
        return embedded @ weights["w_out"] + weights["b_out"]


def _layer_norm(x: Any, ops: Ops) -> Any:
    centered = x - ops.mean(x)
    return centered / (ops.mean(centered * centered) + 1e-6) ** 0.5
