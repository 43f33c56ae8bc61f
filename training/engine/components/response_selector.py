"""ResponseSelector: for retrieval intents (``faq/ask_name``), picks the sub-intent of a message,
with the DIET network's intent head, and answers with the matching ``utter_faq/ask_name``
response texts in Rasa's ``response_selector`` shape."""

from __future__ import annotations

from typing import Any

from training.engine.component import TrainInputs, register
from training.engine.components.diet import DIETClassifier
from training.engine.data import NluExample, TrainingData, fingerprint_of
from training.engine.messages import Message

DEFAULT_SELECTOR_KEY = "default"


@register
class ResponseSelector(DIETClassifier):
    name = "ResponseSelector"
    version = 1
    kind = "selector"
    extractor_name = "ResponseSelector"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.retrieval_intents: list[str] = []

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {
            **super().get_default_config(),
            "retrieval_intent": None,
            "use_text_as_label": False,
            "entity_recognition": False,
        }

    @classmethod
    def data_fingerprint(cls, data: TrainingData) -> str:
        """The NLU data, the language and the responses (their texts are the answers)."""
        return fingerprint_of(
            {
                "nlu": fingerprint_of(data.nlu),
                "language": data.config.language,
                "responses": fingerprint_of(list(data.domain.responses)),
            }
        )

    def _examples(self, inputs: TrainInputs) -> list[tuple[int, NluExample, str]]:
        wanted = self.config["retrieval_intent"]
        chosen = [
            (i, ex, ex.intent)
            for i, ex in enumerate(inputs.data.nlu.examples)
            if "/" in ex.intent and (wanted is None or ex.intent.split("/", 1)[0] == wanted)
        ]
        keys = {label for _, _, label in chosen}
        self.retrieval_intents = sorted({label.split("/", 1)[0] for label in keys})
        self.responses = {
            name[len("utter_") :]: [dict(v) for v in variations]
            for name, variations in inputs.data.domain.responses
            if name.startswith("utter_") and name[len("utter_") :] in keys
        }
        return chosen

    def _wants_intents(self) -> bool:
        return True

    def _wants_entities(self) -> bool:
        return False

    def _extra_meta(self) -> dict[str, Any]:
        return {"responses": self.responses, "retrieval_intents": self.retrieval_intents}

    def _load_extra_meta(self, meta: dict[str, Any]) -> None:
        self.responses = dict(meta.get("responses", {}))
        self.retrieval_intents = list(meta.get("retrieval_intents", []))

    def process(self, message: Message) -> None:
        prediction = self._predict(message)
        if prediction is None or prediction.intent_scores is None or not self.labels.intents:
            return
        ranking = self._ranking(prediction.intent_scores, self.labels.intents)
        best = ranking[0]["name"]
        key = self.config["retrieval_intent"] or DEFAULT_SELECTOR_KEY
        responses = self.responses.get(best, [])
        message.response_selector["all_retrieval_intents"] = list(self.retrieval_intents)
        message.response_selector[key] = {
            "response": {
                "responses": responses,
                "confidence": ranking[0]["confidence"],
                "intent_response_key": best,
                "utter_action": f"utter_{best}",
            },
            "ranking": [
                {"intent_response_key": r["name"], "confidence": r["confidence"]} for r in ranking
            ],
        }
