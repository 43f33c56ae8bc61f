"""Cache keys for graph nodes.

A node's fingerprint hashes everything its output depends on: its name (stored state may record
it), the component's registry name, version and source code, its config with defaults, the part
of the data it learns from, the seed, the fingerprints of its input nodes and, when
fine-tuning, the base model and the epoch fraction. Equal fingerprints mean equal outputs.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from training.engine.component import Component
from training.engine.data import TrainingData, fingerprint_of
from training.engine.graph import Node

_ENGINE_PACKAGE = "training.engine"


@dataclass(frozen=True)
class FinetuneKey:
    base_model_id: str
    epoch_fraction: float


def node_fingerprint(
    node: Node,
    cls: type[Component],
    data: TrainingData,
    input_fingerprints: Sequence[str],
    *,
    seed: int,
    finetune: FinetuneKey | None = None,
) -> str:
    payload = {
        "node": node.name,
        "component": node.component,
        "version": cls.version,
        "source": component_source_hash(cls),
        "config": node.config,
        "data": cls.data_fingerprint(data),
        "inputs": list(input_fingerprints),
        "seed": seed,
        "finetune": None
        if finetune is None
        else {"base_model": finetune.base_model_id, "epoch_fraction": finetune.epoch_fraction},
    }
    return canonical_hash(payload)


def data_fingerprint(data: TrainingData) -> str:
    """The whole project's training data (recorded in the model's metadata)."""
    return fingerprint_of(data)


def canonical_hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def component_source_hash(cls: type[Component]) -> str:
    """The source of the component's module and of the engine modules it uses (transitively),
    so that a change to a helper module (a CRF layer, say) also invalidates the cache."""
    digest = hashlib.sha256()
    if cls.__module__ not in sys.modules:  # a class built outside any imported module
        digest.update(_class_source(cls))
    for name in sorted(_module_closure(cls.__module__)):
        digest.update(name.encode("utf-8"))
        digest.update(_module_source(sys.modules[name]))
    return digest.hexdigest()


def _module_closure(root: str) -> set[str]:
    seen = {root}
    pending = [root]
    while pending:
        module = sys.modules.get(pending.pop())
        if module is None:
            continue
        for value in list(vars(module).values()):
            used = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
            if (
                isinstance(used, str)
                and used not in seen
                and used.startswith(_ENGINE_PACKAGE)
                and used in sys.modules
            ):
                seen.add(used)
                pending.append(used)
    return seen


def _module_source(module: ModuleType) -> bytes:
    file = getattr(module, "__file__", None)
    if file and Path(file).suffix == ".py" and Path(file).is_file():
        return Path(file).read_bytes()
    try:
        return inspect.getsource(module).encode("utf-8")
    except (OSError, TypeError):  # built without source: fall back on its name alone
        return module.__name__.encode("utf-8")


def _class_source(cls: type[Component]) -> bytes:
    try:
        return inspect.getsource(cls).encode("utf-8")
    except (OSError, TypeError):
        return cls.__qualname__.encode("utf-8")
