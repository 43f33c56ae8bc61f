"""Training: run the graph with the cache, optionally fine-tuning a base model, and write one
model archive.

Nodes whose fingerprint is cached are restored: their stored state is copied into the new
model, and their output is loaded only when a node that needs it must train. The nodes that
must train run in a thread pool as soon as their inputs are ready, so independent nodes (two
featurizers, the NLU branch and the policies) overlap. A node's output stays in memory only
while a node that needs it has yet to train.

Progress: components report through ``progress`` (from worker threads); when a node is done the
runner reports ``Progress(node, metrics={"done": 1.0, "restored": 0.0 | 1.0, "seconds": s})``.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from training.engine import ENGINE_VERSION
from training.engine.archive import (
    NODES,
    example_counts,
    extract_archive,
    labels_of,
    new_model_id,
    read_metadata,
    resolve_archive,
    write_archive,
)
from training.engine.cache import CacheCorrupted, CacheEntry, TrainingCache
from training.engine.component import (
    Progress,
    ProgressCallback,
    TrainContext,
    TrainInputs,
    component_class,
)
from training.engine.data import TrainingData
from training.engine.finetune_check import check_finetune
from training.engine.fingerprint import FinetuneKey, data_fingerprint, node_fingerprint
from training.engine.graph import Graph, Node, build_graph

NodeStatus = Literal["trained", "restored", "finetuned"]


class FinetuneVerdictLike(Protocol):
    @property
    def allowed(self) -> bool: ...

    @property
    def summary(self) -> str: ...


Checker = Callable[[dict[str, Any], TrainingData], FinetuneVerdictLike]


class FinetuneRefused(Exception):
    """The fine-tune checker found differences incremental training cannot absorb."""

    def __init__(self, verdict: FinetuneVerdictLike) -> None:
        super().__init__(f"fine-tuning refused: {verdict.summary}")
        self.verdict = verdict


@dataclass(frozen=True)
class NodeReport:
    name: str
    component: str
    status: NodeStatus
    seconds: float


@dataclass(frozen=True)
class TrainResult:
    model_path: Path
    model_id: str
    report: list[NodeReport]
    warnings: list[str]
    metrics: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)

    def trained(self) -> list[str]:
        """The nodes that trained (fine-tuned included) rather than being restored."""
        return [node.name for node in self.report if node.status != "restored"]


@dataclass(frozen=True)
class _Base:
    path: Path
    metadata: dict[str, Any]
    root: Path  # the unpacked archive

    def node_dir(self, name: str) -> Path | None:
        directory = self.root / NODES / name
        return directory if directory.is_dir() else None


def train(
    data: TrainingData,
    *,
    out_dir: Path,
    cache: TrainingCache | None = None,
    seed: int = 42,
    finetune_base: Path | None = None,
    epoch_fraction: float = 1.0,
    progress: ProgressCallback | None = None,
    nlu_only: bool = False,
    checker: Checker | None = None,
) -> TrainResult:
    """Train ``data`` into a new archive in ``out_dir``.

    ``finetune_base``: a model archive, or a folder whose newest archive is the base. The
    fine-tune checker (``finetune_check.check_finetune`` unless ``checker`` replaces it) runs
    first, and a refusal raises ``FinetuneRefused`` before any node trains.
    ``epoch_fraction`` applies to fine-tuning only.
    """
    started = time.perf_counter()
    if epoch_fraction <= 0:
        raise ValueError(f"the epoch fraction must be positive, not {epoch_fraction}")
    graph = build_graph(data.config, nlu_only=nlu_only)
    warnings = list(graph.warnings)
    if finetune_base is None and epoch_fraction != 1.0:
        warnings.append("--epoch-fraction applies to fine-tuning only: ignored")
        epoch_fraction = 1.0
    out_dir.mkdir(parents=True, exist_ok=True)
    workspace = Path(tempfile.mkdtemp(prefix=".parley-train-", dir=out_dir))
    try:
        if checker is None:
            checker = functools.partial(check_finetune, nlu_only=nlu_only)
        base = _open_base(finetune_base, data, checker, workspace) if finetune_base else None
        run = _Run(
            graph=graph,
            data=data,
            cache=cache or TrainingCache.disabled(),
            seed=seed,
            base=base,
            epoch_fraction=epoch_fraction,
            progress=progress or _ignore_progress,
            nodes_dir=workspace / NODES,
        )
        report, metrics = run.execute()
        metadata = _metadata(
            graph=graph,
            data=data,
            base=base,
            report=report,
            metrics=metrics,
            warnings=warnings,
            seed=seed,
            epoch_fraction=epoch_fraction,
            nlu_only=nlu_only,
            seconds=time.perf_counter() - started,
        )
        path = write_archive(
            out_dir=out_dir,
            metadata=metadata,
            node_dirs={node.name: run.nodes_dir / node.name for node in graph.nodes},
        )
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    return TrainResult(path, metadata["id"], report, warnings, metrics, metadata)


def _ignore_progress(progress: Progress) -> None:
    pass


def _open_base(finetune_base: Path, data: TrainingData, checker: Checker, workspace: Path) -> _Base:
    path = resolve_archive(finetune_base)
    metadata = read_metadata(path)
    verdict = checker(metadata, data)
    if not verdict.allowed:
        raise FinetuneRefused(verdict)
    root = extract_archive(path, workspace / "base")
    return _Base(path, metadata, root)


class _Run:
    def __init__(
        self,
        *,
        graph: Graph,
        data: TrainingData,
        cache: TrainingCache,
        seed: int,
        base: _Base | None,
        epoch_fraction: float,
        progress: ProgressCallback,
        nodes_dir: Path,
    ) -> None:
        self.graph = graph
        self.data = data
        self.cache = cache
        self.seed = seed
        self.base = base
        self.epoch_fraction = epoch_fraction
        self.progress = progress
        self.nodes_dir = nodes_dir
        self.fingerprints = self._fingerprints()
        self.statuses: dict[str, NodeStatus] = {}
        self.seconds: dict[str, float] = {}
        self.metrics: dict[str, Any] = {}

    def execute(self) -> tuple[list[NodeReport], dict[str, Any]]:
        self.nodes_dir.mkdir(parents=True, exist_ok=True)
        entries = {
            node.name: self.cache.lookup(self.fingerprints[node.name]) for node in self.graph.nodes
        }
        outputs, to_train = self._restore(entries)
        self._train_all(outputs, to_train)
        report = [
            NodeReport(node.name, node.component, self.statuses[node.name], self.seconds[node.name])
            for node in self.graph.nodes
        ]
        metrics = {name: self.metrics[name] for name in self.graph_order() if name in self.metrics}
        return report, metrics

    def graph_order(self) -> list[str]:
        return [node.name for node in self.graph.nodes]

    def _fingerprints(self) -> dict[str, str]:
        finetune = (
            FinetuneKey(str(self.base.metadata.get("id")), self.epoch_fraction)
            if self.base
            else None
        )
        fingerprints: dict[str, str] = {}
        for node in self.graph.nodes:
            fingerprints[node.name] = node_fingerprint(
                node,
                component_class(node.component),
                self.data,
                [fingerprints[need] for need in node.needs],
                seed=self.seed,
                finetune=finetune,
            )
        return fingerprints

    def _restore(self, entries: dict[str, CacheEntry | None]) -> tuple[dict[str, Any], set[str]]:
        """Restore every cached node; returns the outputs that nodes to train need, and the
        nodes to train (those not cached, and those whose entry turned out corrupted)."""
        to_train = {name for name, entry in entries.items() if entry is None}
        outputs: dict[str, Any] = {}
        state_restored: set[str] = set()
        changed = True
        while changed:
            changed = False
            for node in self.graph.nodes:
                entry = entries[node.name]
                if node.name in to_train or entry is None:
                    continue
                output_needed = any(
                    dep.name in to_train for dep in self.graph.dependents(node.name)
                )
                if node.name in state_restored and (not output_needed or node.name in outputs):
                    continue
                began = time.perf_counter()
                try:
                    if node.name not in state_restored:
                        self.cache.restore_state(entry, self.nodes_dir / node.name)
                        state_restored.add(node.name)
                    if output_needed:
                        outputs[node.name] = self.cache.load_output(entry)
                except CacheCorrupted:
                    self.cache.drop(entry.fingerprint)
                    shutil.rmtree(self.nodes_dir / node.name, ignore_errors=True)
                    state_restored.discard(node.name)
                    outputs.pop(node.name, None)
                    to_train.add(node.name)
                    changed = True
                    continue
                self.seconds[node.name] = self.seconds.get(node.name, 0.0) + (
                    time.perf_counter() - began
                )
        for name in state_restored:
            entry = entries[name]
            assert entry is not None
            self.statuses[name] = "restored"
            if entry.metrics:
                self.metrics[name] = entry.metrics
            self._report_done(name, restored=True)
        return outputs, to_train

    def _train_all(self, outputs: dict[str, Any], to_train: set[str]) -> None:
        pending = [node for node in self.graph.nodes if node.name in to_train]
        uses = {
            name: sum(1 for dep in self.graph.dependents(name) if dep.name in to_train)
            for name in self.graph_order()
        }
        workers = max(2, min(8, os.cpu_count() or 2))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="parley-train") as pool:
            running: dict[Future[Any], Node] = {}
            try:
                while pending or running:
                    for node in [n for n in pending if all(i in outputs for i in n.needs)]:
                        pending.remove(node)
                        running[pool.submit(self._train_node, node, outputs)] = node
                    if not running:
                        raise RuntimeError(f"unreachable nodes: {[n.name for n in pending]}")
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        node = running.pop(future)
                        output = future.result()
                        if uses[node.name]:
                            outputs[node.name] = output
                        for need in node.needs:
                            uses[need] -= 1
                            if uses[need] == 0:
                                outputs.pop(need, None)
            except BaseException:
                for future in running:
                    future.cancel()
                raise

    def _train_node(self, node: Node, outputs: Mapping[str, Any]) -> Any:
        cls = component_class(node.component)
        finetune_from = self.base.node_dir(node.name) if self.base else None
        tokens = None
        features = []
        for need in node.needs:
            kind = self.graph.node(need).kind
            if kind == "tokenizer":
                tokens = outputs[need]
            elif kind == "featurizer":
                features.append(outputs[need])
        context = TrainContext(
            node=node.name,
            seed=self.seed,
            finetune_from=finetune_from,
            epoch_fraction=self.epoch_fraction if self.base else 1.0,
            report=self.progress,
        )
        began = time.perf_counter()
        try:
            component = cls(dict(node.config))
            output = component.train(
                TrainInputs(data=self.data, tokens=tokens, features=tuple(features)), context
            )
            state_dir = self.nodes_dir / node.name
            state_dir.mkdir()
            component.persist(state_dir)
        except Exception as error:
            error.add_note(f"while training node {node.name} ({node.component})")
            raise
        self.seconds[node.name] = time.perf_counter() - began
        self.statuses[node.name] = "finetuned" if finetune_from else "trained"
        metrics = _metrics_of(output) if node.kind not in ("tokenizer", "featurizer") else {}
        if metrics:
            self.metrics[node.name] = metrics
        self.cache.store(
            self.fingerprints[node.name],
            node=node.name,
            state_dir=state_dir,
            output=output,
            metrics=metrics,
        )
        self._report_done(node.name, restored=False)
        return output

    def _report_done(self, name: str, *, restored: bool) -> None:
        self.progress(
            Progress(
                node=name,
                metrics={
                    "done": 1.0,
                    "restored": 1.0 if restored else 0.0,
                    "seconds": self.seconds.get(name, 0.0),
                },
            )
        )


def _metrics_of(output: Any) -> dict[str, Any]:
    if isinstance(output, Mapping) and all(
        isinstance(key, str) and isinstance(value, int | float | str)
        for key, value in output.items()
    ):
        return dict(output)
    return {}


def _metadata(
    *,
    graph: Graph,
    data: TrainingData,
    base: _Base | None,
    report: list[NodeReport],
    metrics: dict[str, Any],
    warnings: list[str],
    seed: int,
    epoch_fraction: float,
    nlu_only: bool,
    seconds: float,
) -> dict[str, Any]:
    def nodes(selected: tuple[Node, ...]) -> list[dict[str, Any]]:
        return [
            {**node.as_dict(), "version": component_class(node.component).version}
            for node in selected
        ]

    return {
        "id": new_model_id(),
        "created": datetime.now(UTC).isoformat(),
        "engine_version": ENGINE_VERSION,
        "kind": "finetune" if base else "full",
        "language": graph.language,
        "config": graph.config.as_dict(),
        "config_as_written": {
            "language": data.config.language,
            "pipeline": list(data.config.pipeline),
            "policies": list(data.config.policies),
        },
        "labels": labels_of(data),
        "label_examples": example_counts(data),
        "domain": asdict(data.domain),
        "data_fingerprint": data_fingerprint(data),
        "parent_model_id": base.metadata.get("id") if base else None,
        "fine_tune_count": int(base.metadata.get("fine_tune_count", 0)) + 1 if base else 0,
        "epoch_fraction": epoch_fraction,
        "seed": seed,
        "nlu_only": nlu_only,
        "pipeline": nodes(graph.pipeline),
        "policies": nodes(graph.policies),
        "nodes": [asdict(node) for node in report],
        "training_seconds": round(seconds, 3),
        "metrics": metrics,
        "warnings": warnings,
    }
