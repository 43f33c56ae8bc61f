"""Pipeline components whose work needs resources Parley cannot fetch, and what trains instead.

spaCy and MITIE language models, Hugging Face weights (``LanguageModelFeaturizer``) and ConveRT
come from download sites, not from package registries, and many of Parley's users run without
internet. A project naming them must still train: each such component is replaced by Parley's
nearest equivalent (a tokenizer by ``WhitespaceTokenizer``, a dense featurizer by a word-level
``CountVectorsFeaturizer`` when the pipeline has none) or left out, and the model's warnings say
which and why. The fine-tune checker compares resolved configs, that is what actually trains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Substitute:
    replacement: str | None  # a registered component name, or None: left out
    reason: str


_SPACY = "spaCy language models are downloaded from outside the package registries"
_MITIE = "MITIE models are downloaded from outside the package registries"
_HF = "pretrained transformer weights are downloaded from the Hugging Face hub"
_CONVERT = "ConveRT's weights are no longer published"

SUBSTITUTES: dict[str, Substitute] = {
    "SpacyNLP": Substitute(None, _SPACY),
    "SpacyTokenizer": Substitute("WhitespaceTokenizer", _SPACY),
    "SpacyFeaturizer": Substitute("CountVectorsFeaturizer", _SPACY),
    "SpacyEntityExtractor": Substitute(None, _SPACY),
    "MitieNLP": Substitute(None, _MITIE),
    "MitieTokenizer": Substitute("WhitespaceTokenizer", _MITIE),
    "MitieFeaturizer": Substitute("CountVectorsFeaturizer", _MITIE),
    "MitieEntityExtractor": Substitute(None, _MITIE),
    "HFTransformersNLP": Substitute(None, _HF),
    "LanguageModelTokenizer": Substitute("WhitespaceTokenizer", _HF),
    "LanguageModelFeaturizer": Substitute("CountVectorsFeaturizer", _HF),
    "ConveRTTokenizer": Substitute("WhitespaceTokenizer", _CONVERT),
    "ConveRTFeaturizer": Substitute("CountVectorsFeaturizer", _CONVERT),
}
# Keys of the replaced components that mean the same thing to the replacement.
_KEPT_KEYS: dict[str, frozenset[str]] = {
    "WhitespaceTokenizer": frozenset(
        {"intent_tokenization_flag", "intent_split_symbol", "token_pattern"}
    ),
    "CountVectorsFeaturizer": frozenset(),
}


def substitute_pipeline(
    pipeline: Sequence[dict[str, Any]],
) -> tuple[list[dict[str, Any] | None], list[str]]:
    """The pipeline with substitutes in place (same length: ``None`` marks a left-out step, so
    the others keep their positions), and one warning per replaced component."""
    has_tokenizer = any(_is_whitespace_tokenizer(item) for item in pipeline)
    has_word_vectors = any(_is_word_count_vectors(item) for item in pipeline)
    result: list[dict[str, Any] | None] = []
    warnings: list[str] = []
    for item in pipeline:
        name = item.get("name") if isinstance(item, dict) else None
        substitute = SUBSTITUTES.get(name) if isinstance(name, str) else None
        if substitute is None:
            result.append(item)
            continue
        replacement = substitute.replacement
        if replacement == "WhitespaceTokenizer" and has_tokenizer:
            replacement = None
        if replacement == "CountVectorsFeaturizer" and has_word_vectors:
            replacement = None
        if replacement is None:
            result.append(None)
            warnings.append(f"{name} left out of the trained model: {substitute.reason}")
            continue
        kept = {k: v for k, v in item.items() if k in _KEPT_KEYS[replacement]}
        result.append({"name": replacement, **kept})
        has_tokenizer = has_tokenizer or replacement == "WhitespaceTokenizer"
        has_word_vectors = has_word_vectors or replacement == "CountVectorsFeaturizer"
        warnings.append(f"{name} trained as {replacement}: {substitute.reason}")
    return result, warnings


def _is_whitespace_tokenizer(item: Any) -> bool:
    return isinstance(item, dict) and item.get("name") == "WhitespaceTokenizer"


def _is_word_count_vectors(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and item.get("name") == "CountVectorsFeaturizer"
        and item.get("analyzer", "word") == "word"
    )
