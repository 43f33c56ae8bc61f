"""FallbackClassifier: replaces an uncertain intent with ``nlu_fallback``.

Uncertain: the top intent's confidence is below ``threshold``, or the top two intents are
closer than ``ambiguity_threshold``. The fallback intent gets ``threshold`` as confidence and
goes to the top of the ranking.
"""

from __future__ import annotations

from typing import Any, ClassVar

from training.engine.component import (
    Component,
    ComponentKind,
    TrainContext,
    TrainInputs,
    register,
)
from training.engine.messages import Message

FALLBACK_INTENT = "nlu_fallback"


@register
class FallbackClassifier(Component):
    name: ClassVar[str] = "FallbackClassifier"
    kind: ClassVar[ComponentKind] = "processor"

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {"threshold": 0.3, "ambiguity_threshold": 0.1}

    def train(self, inputs: TrainInputs, context: TrainContext) -> None:
        """Nothing to learn."""

    def should_fall_back(self, message: Message) -> bool:
        if message.intent is None or message.intent.get("name") is None:
            return False
        if message.intent.get("name") == FALLBACK_INTENT:
            return False
        if float(message.intent.get("confidence", 0.0)) < self.config["threshold"]:
            return True
        ranking = message.intent_ranking
        if len(ranking) < 2:
            return False
        gap = float(ranking[0].get("confidence", 0.0)) - float(ranking[1].get("confidence", 0.0))
        return gap < self.config["ambiguity_threshold"]

    def process(self, message: Message) -> None:
        if not self.should_fall_back(message):
            return
        threshold = float(self.config["threshold"])
        message.intent = {"name": FALLBACK_INTENT, "confidence": threshold}
        message.intent_ranking.insert(0, {"name": FALLBACK_INTENT, "confidence": threshold})
