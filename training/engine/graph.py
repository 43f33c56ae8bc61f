"""The training graph: nodes with their component, config and inputs, as plain data.

Pipeline nodes are named ``f"{index}_{Component}"`` and policy nodes
``f"policy_{index}_{Policy}"`` (the index in the list as written), so names stay stable while
the config is unchanged. Nodes are listed in a topological order (inputs first).

Inputs: a featurizer needs the tokenizer before it; classifiers, extractors and selectors need
that tokenizer and every featurizer before them; processors and policies need only the data
(every node gets the data).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from training.engine.component import Component, ComponentKind, component_class
from training.engine.config import ConfigError, ResolvedConfig, Step, resolve_config
from training.engine.data import EngineConfig

_NEEDS_TOKENS: frozenset[str] = frozenset({"featurizer", "classifier", "extractor", "selector"})
_NEEDS_FEATURES: frozenset[str] = frozenset({"classifier", "extractor", "selector"})


@dataclass(frozen=True)
class Node:
    name: str
    component: str  # the registry name
    kind: ComponentKind
    config: dict[str, Any] = field(hash=False)  # defaults filled in
    needs: tuple[str, ...] = ()  # input node names, tokenizer first, then featurizers in order

    @property
    def is_policy(self) -> bool:
        return self.kind == "policy"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "component": self.component,
            "kind": self.kind,
            "config": self.config,
            "needs": list(self.needs),
        }


@dataclass(frozen=True)
class Graph:
    language: str
    nodes: tuple[Node, ...]
    config: ResolvedConfig
    warnings: tuple[str, ...] = ()

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    @property
    def pipeline(self) -> tuple[Node, ...]:
        return tuple(node for node in self.nodes if not node.is_policy)

    @property
    def policies(self) -> tuple[Node, ...]:
        return tuple(node for node in self.nodes if node.is_policy)

    def dependents(self, name: str) -> tuple[Node, ...]:
        return tuple(node for node in self.nodes if name in node.needs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "nodes": [node.as_dict() for node in self.nodes],
            "warnings": list(self.warnings),
        }

    def describe(self) -> str:
        lines = [f"graph ({self.language}), {len(self.nodes)} nodes"]
        for node in self.nodes:
            needs = ", ".join(node.needs) if node.needs else "data"
            config = json.dumps(node.config, sort_keys=True, default=repr)
            lines.append(f"  {node.name} [{node.kind}] <- {needs}")
            lines.append(f"      {config}")
        lines.extend(f"  warning: {warning}" for warning in self.warnings)
        return "\n".join(lines)


def build_graph(config: EngineConfig, *, nlu_only: bool = False) -> Graph:
    resolved = resolve_config(config)
    nodes: list[Node] = []
    tokenizer: str | None = None
    featurizers: list[str] = []
    for step in resolved.pipeline:
        cls = component_class(step.component)
        name = f"{step.index}_{step.component}"
        needs: list[str] = []
        if cls.needs_tokens or cls.kind in _NEEDS_TOKENS:
            if tokenizer is None:
                raise ConfigError(
                    f"{step.component} needs tokens: put a tokenizer (WhitespaceTokenizer) "
                    "before it in the pipeline"
                )
            needs.append(tokenizer)
        if cls.needs_features or cls.kind in _NEEDS_FEATURES:
            needs.extend(featurizers)
        nodes.append(_node(name, step, cls, needs))
        if cls.kind == "tokenizer":
            tokenizer = name
        elif cls.kind == "featurizer":
            featurizers.append(name)
    if not nlu_only:
        for step in resolved.policies:
            cls = component_class(step.component)
            nodes.append(_node(f"policy_{step.index}_{step.component}", step, cls, []))
    return Graph(resolved.language, tuple(nodes), resolved, resolved.warnings)


def _node(name: str, step: Step, cls: type[Component], needs: list[str]) -> Node:
    return Node(name, step.component, cls.kind, dict(step.config), tuple(needs))
