"""``config.yml`` -> the pipeline and policies to train, with every default filled in.

An empty pipeline (or policy list) means Rasa's defaults. A pipeline component Parley does not
know is an error that names what it supports (components that need downloaded language models
are trained as their nearest equivalent, see ``substitutes.py``); a policy Parley does not
implement yet is left out with a warning, so that Rasa projects still train their NLU.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from training.engine.component import Component, component_class, registered_names
from training.engine.data import EngineConfig
from training.engine.substitutes import substitute_pipeline

DEFAULT_PIPELINE: tuple[dict[str, Any], ...] = (
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100},
    {"name": "EntitySynonymMapper"},
    {"name": "ResponseSelector", "epochs": 100},
    {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
)
DEFAULT_POLICIES: tuple[dict[str, Any], ...] = (
    {"name": "MemoizationPolicy"},
    {"name": "RulePolicy"},
    {"name": "TEDPolicy"},
)
# Rasa policies Parley will implement; until then a config naming them still trains its NLU
PENDING_POLICIES = frozenset({"UnexpecTEDIntentPolicy"})


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Step:
    """One pipeline component or policy, as configured (defaults filled in)."""

    index: int  # its position in the list as written (policies left out keep their numbers)
    component: str
    config: dict[str, Any] = field(hash=False)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.component, **self.config}


@dataclass(frozen=True)
class ResolvedConfig:
    language: str
    pipeline: tuple[Step, ...]
    policies: tuple[Step, ...]
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Like ``config.yml``, every default written out."""
        return {
            "language": self.language,
            "pipeline": [step.as_dict() for step in self.pipeline],
            "policies": [step.as_dict() for step in self.policies],
        }


def resolve_config(config: EngineConfig) -> ResolvedConfig:
    pipeline_as_written = config.pipeline or DEFAULT_PIPELINE
    policies_as_written = config.policies or DEFAULT_POLICIES
    substituted, warnings = substitute_pipeline(pipeline_as_written)
    pipeline = tuple(
        _pipeline_step(index, item)
        for index, item in enumerate(substituted)
        if item is not None  # left out (see substitutes.py); the others keep their numbers
    )
    policies: list[Step] = []
    for index, item in enumerate(policies_as_written):
        step = _policy_step(index, item, warnings)
        if step is not None:
            policies.append(step)
    return ResolvedConfig(config.language, pipeline, tuple(policies), tuple(warnings))


def _pipeline_step(index: int, item: dict[str, Any]) -> Step:
    name = _name_of(item, "pipeline", index)
    cls = component_class(name)  # raises UnknownComponentError naming what is supported
    if cls.kind == "policy":
        raise ConfigError(f"{name} is a policy: list it under `policies`, not `pipeline`")
    return Step(index, name, _with_defaults(cls, item))


def _policy_step(index: int, item: dict[str, Any], warnings: list[str]) -> Step | None:
    name = _name_of(item, "policies", index)
    if name not in registered_names():
        if name in PENDING_POLICIES:
            warnings.append(f"{name} is not implemented yet: left out of the trained model")
        else:
            warnings.append(f"unknown policy {name!r}: left out of the trained model")
        return None
    cls = component_class(name)
    if cls.kind != "policy":
        raise ConfigError(f"{name} is not a policy: list it under `pipeline`, not `policies`")
    return Step(index, name, _with_defaults(cls, item))


def _name_of(item: dict[str, Any], section: str, index: int) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{section} entry {index + 1} has no `name`: {item!r}")
    return name


def _with_defaults(cls: type[Component], item: dict[str, Any]) -> dict[str, Any]:
    user = {key: value for key, value in item.items() if key != "name"}
    return {**cls.get_default_config(), **user}
