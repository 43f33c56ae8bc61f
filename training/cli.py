"""``python -m training.engine``: train, fine-tune, evaluate and query models of a Rasa project.

    train PROJECT_DIR --out MODELS_DIR [--finetune [MODEL]] [--epoch-fraction F] [--nlu-only]
          [--seed N]
    test-nlu MODEL NLU_FILE --out REPORT.json
    test-stories MODEL STORIES_FILE --out REPORT.json
    parse MODEL "text"
    graph PROJECT_DIR [--nlu-only] [--json]

Progress goes to stdout as plain lines; the LAST stdout line is always one JSON object: the
training summary, the report's headline figures, the parse result, ``{"refused": true, ...}``
(exit 3) or ``{"error": ...}`` (exit 2 for bad input, 1 for a failure while training).
Project files are read with ``annotation.rasa_io`` (pure Python), which is why this module
lives outside ``training.engine``; the training cache follows ``PARLEY_CACHE_DIR`` and
``PARLEY_CACHE_MAX_MB``.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, Protocol, TextIO

from annotation.rasa_io.errors import ProjectError
from annotation.rasa_io.markup import parse_markup
from annotation.rasa_io.reader import read_files, read_project
from training.adapters import nlu_examples_from_project, training_data_from_project
from training.engine.archive import ArchiveError, resolve_archive
from training.engine.cache import TrainingCache
from training.engine.component import Progress, UnknownComponentError
from training.engine.config import ConfigError
from training.engine.data import EntitySpan, NluExample, StoryEvent, StorySpec
from training.engine.dialogue.evaluation import evaluate_stories
from training.engine.evaluation import evaluate_nlu
from training.engine.finetune_check import check_finetune
from training.engine.graph import build_graph
from training.engine.model import Model
from training.engine.runner import FinetuneRefused, TrainResult, train

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3
# what an NLU file needs around it to be read as a project
_MINIMAL_DOMAIN = b'version: "3.1"\n'
# bad input: reported with exit code 2 (anything else raised while training: exit code 1)
INPUT_ERRORS: tuple[type[BaseException], ...] = (
    ProjectError,
    ArchiveError,
    ConfigError,
    UnknownComponentError,
    FileNotFoundError,
    NotADirectoryError,
)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as the JSON last line instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m training.engine", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train_cmd = commands.add_parser("train", help="train (or fine-tune) a model")
    train_cmd.add_argument("project", type=Path, help="Rasa project folder")
    train_cmd.add_argument("--out", type=Path, required=True, help="folder for model archives")
    train_cmd.add_argument(
        "--finetune",
        nargs="?",
        const="",
        default=None,
        metavar="MODEL",
        help="fine-tune MODEL (an archive; default: the newest archive in --out)",
    )
    train_cmd.add_argument(
        "--epoch-fraction",
        type=float,
        default=1.0,
        help="fine-tuning trains ceil(epochs x F) epochs (default 1.0)",
    )
    train_cmd.add_argument("--nlu-only", action="store_true", help="train the NLU model only")
    train_cmd.add_argument("--seed", type=int, default=42, help="random seed (default 42)")

    test_cmd = commands.add_parser("test-nlu", help="evaluate a model on labelled NLU data")
    test_cmd.add_argument("model", type=Path, help="model archive (or a folder: its newest)")
    test_cmd.add_argument(
        "nlu_file", type=Path, help="Rasa NLU YAML file, a JSONL file, or a project folder"
    )
    test_cmd.add_argument("--out", type=Path, required=True, help="where to write the report")

    stories_cmd = commands.add_parser("test-stories", help="replay test stories on a model")
    stories_cmd.add_argument("model", type=Path, help="model archive (or a folder: its newest)")
    stories_cmd.add_argument(
        "stories_file",
        type=Path,
        help="Rasa stories YAML file, a folder of them, or a project folder (its tests/)",
    )
    stories_cmd.add_argument("--out", type=Path, required=True, help="where to write the report")
    stories_cmd.add_argument(
        "--no-nlu", action="store_true", help="don't classify the stories' user texts"
    )

    parse_cmd = commands.add_parser("parse", help="parse one message (Rasa's /model/parse)")
    parse_cmd.add_argument("model", type=Path, help="model archive (or a folder: its newest)")
    parse_cmd.add_argument("text", help="the message")

    graph_cmd = commands.add_parser("graph", help="print the training graph of a project")
    graph_cmd.add_argument("project", type=Path, help="Rasa project folder")
    graph_cmd.add_argument("--nlu-only", action="store_true", help="leave out the policies")
    graph_cmd.add_argument("--json", action="store_true", help="print it as JSON only")
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as error:
        return _finish(out, {"error": str(error), "type": "usage"}, EXIT_BAD_INPUT)
    try:
        if args.command == "train":
            return _train(args, out)
        if args.command == "test-nlu":
            return _test_nlu(args, out)
        if args.command == "test-stories":
            return _test_stories(args, out)
        if args.command == "graph":
            return _graph(args, out)
        return _parse(args, out)
    except FinetuneRefused as refused:
        return _finish(out, refusal_summary(refused), EXIT_REFUSED)
    except INPUT_ERRORS as error:
        return _finish(out, error_summary(error), EXIT_BAD_INPUT)
    except Exception as error:
        return _finish(out, error_summary(error), EXIT_FAILED)


# -------------------------------------------------------------------------------- commands


def _train(args: argparse.Namespace, out: TextIO) -> int:
    project_dir: Path = args.project
    if not project_dir.is_dir():
        raise NotADirectoryError(f"{project_dir} is not a project folder")
    data = training_data_from_project(read_project(project_dir))
    finetune_base: Path | None = None
    if args.finetune is not None:
        finetune_base = Path(args.finetune) if args.finetune else args.out
    result = train(
        data,
        out_dir=args.out,
        cache=TrainingCache.from_env(),
        seed=args.seed,
        finetune_base=finetune_base,
        epoch_fraction=args.epoch_fraction,
        progress=ProgressPrinter(out),
        nlu_only=args.nlu_only,
        checker=functools.partial(check_finetune, nlu_only=args.nlu_only),
    )
    return _finish(out, train_summary(result), 0)


def _test_nlu(args: argparse.Namespace, out: TextIO) -> int:
    examples = read_nlu_examples(args.nlu_file)
    model = Model.load(resolve_archive(args.model))
    started = time.perf_counter()
    try:
        report = evaluate_nlu(model, examples)
    finally:
        model.close()
    report["model_id"] = model.id
    report["nlu_file"] = str(args.nlu_file)
    report["seconds"] = round(time.perf_counter() - started, 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    intent = report["intent"]
    exact = report["entities"]["exact"]
    overlap = report["entities"]["overlap"]
    out.write(
        f"{report['examples']} examples: intent accuracy {intent['accuracy']:.4f}, "
        f"macro F1 {intent['macro_f1']:.4f}; entity F1 {exact['f1']:.4f} (exact), "
        f"{overlap['f1']:.4f} (overlap)\n"
    )
    summary = {
        "report": str(args.out),
        "model_id": model.id,
        "examples": report["examples"],
        "intent_accuracy": intent["accuracy"],
        "intent_macro_f1": intent["macro_f1"],
        "entity_f1_exact": exact["f1"],
        "entity_f1_overlap": overlap["f1"],
    }
    return _finish(out, summary, 0)


def _test_stories(args: argparse.Namespace, out: TextIO) -> int:
    stories = read_test_stories(args.stories_file)
    model = Model.load(resolve_archive(args.model))
    started = time.perf_counter()
    try:
        parse_intent = None if args.no_nlu or not model.pipeline else _intent_parser(model)
        report = evaluate_stories(model, stories, parse_intent=parse_intent)
    finally:
        model.close()
    report["model_id"] = model.id
    report["stories_file"] = str(args.stories_file)
    report["seconds"] = round(time.perf_counter() - started, 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    out.write(
        f"{report['stories']} stories: {report['stories_correct']} with every action right "
        f"({report['conversation_accuracy']:.4f}); action accuracy "
        f"{report['action_accuracy']:.4f} over {report['actions']} actions, "
        f"weighted F1 {report['weighted_f1']:.4f}\n"
    )
    nlu = report["nlu"]
    if nlu is not None:
        out.write(
            f"NLU on {nlu['user_turns']} user texts: intent accuracy "
            f"{nlu['intent_accuracy']:.4f}; {nlu['stories_correct']} stories right with NLU "
            f"({nlu['conversation_accuracy']:.4f})\n"
        )
    for failed in report["failed_stories"]:
        out.write(
            f"  failed: {failed['story']}: expected {failed['expected']}, "
            f"predicted {failed['predicted']} ({failed['policy']})\n"
        )
    summary = {
        "report": str(args.out),
        "model_id": model.id,
        "stories": report["stories"],
        "conversation_accuracy": report["conversation_accuracy"],
        "action_accuracy": report["action_accuracy"],
        "weighted_f1": report["weighted_f1"],
        "failed_stories": [failed["story"] for failed in report["failed_stories"]],
        "nlu_conversation_accuracy": nlu["conversation_accuracy"] if nlu else None,
    }
    return _finish(out, summary, 0)


def _intent_parser(model: Model) -> Callable[[str], str | None]:
    def parse_intent(text: str) -> str | None:
        intent = model.process(text).intent
        return None if intent is None else intent.get("name")

    return parse_intent


def _parse(args: argparse.Namespace, out: TextIO) -> int:
    model = Model.load(resolve_archive(args.model))
    try:
        result = model.parse(args.text)
    finally:
        model.close()
    return _finish(out, result, 0)


def _graph(args: argparse.Namespace, out: TextIO) -> int:
    project_dir: Path = args.project
    if not project_dir.is_dir():
        raise NotADirectoryError(f"{project_dir} is not a project folder")
    data = training_data_from_project(read_project(project_dir))
    graph = build_graph(data.config, nlu_only=args.nlu_only)
    if not args.json:
        out.write(graph.describe() + "\n")
    return _finish(out, graph.as_dict(), 0)


# ------------------------------------------------------------------------ shared with Django


def read_nlu_examples(path: Path) -> list[NluExample]:
    """Labelled examples from a Rasa NLU YAML file, a JSONL file (``{text, intent,
    entities: [{start, end, entity, value, role?, group?}]}`` a line) or a project folder."""
    if path.is_dir():
        return nlu_examples_from_project(read_project(path))
    if not path.is_file():
        raise FileNotFoundError(f"no NLU file at {path}")
    if path.suffix == ".jsonl":
        return [_jsonl_example(line) for line in path.read_text("utf-8").splitlines() if line]
    project = read_files({f"data/{path.name}": path.read_bytes(), "domain.yml": _MINIMAL_DOMAIN})
    return nlu_examples_from_project(project)


def read_test_stories(path: Path) -> list[StorySpec]:
    """The stories (and rules) of a Rasa stories file, a folder of them, or a project folder
    (its ``tests/``)."""
    if path.is_dir():
        folder = path / "tests" if (path / "tests").is_dir() else path
        files = sorted(file for file in folder.glob("*") if file.suffix in (".yml", ".yaml"))
        if not files:
            raise FileNotFoundError(f"no test stories in {folder}")
    elif path.is_file():
        files = [path]
    else:
        raise FileNotFoundError(f"no stories file at {path}")
    # read as training data (not tests/) so that the adapter keeps them
    contents = {f"data/{index}_{file.name}": file.read_bytes() for index, file in enumerate(files)}
    project = read_files({**contents, "domain.yml": _MINIMAL_DOMAIN})
    return [
        dataclasses.replace(story, events=tuple(_with_markup_entities(e) for e in story.events))
        for story in training_data_from_project(project).stories
    ]


def _with_markup_entities(event: StoryEvent) -> StoryEvent:
    """A test story's user text annotates its entities (``[afghan](cuisine) food``)."""
    if event.kind == "or":
        alternatives = tuple(_with_markup_entities(e) for e in event.alternatives)
        return dataclasses.replace(event, alternatives=alternatives)
    if event.kind != "intent" or not event.text or event.entities:
        return event
    try:
        text, spans = parse_markup(event.text)
    except ValueError:
        return event
    entities = tuple(
        {"entity": span.entity, "value": span.value, "role": span.role, "group": span.group}
        for span in spans
    )
    return dataclasses.replace(event, text=text, entities=entities)


def _jsonl_example(line: str) -> NluExample:
    item = json.loads(line)
    return NluExample(
        text=item["text"],
        intent=item["intent"],
        entities=tuple(
            EntitySpan(
                start=int(e["start"]),
                end=int(e["end"]),
                entity=e["entity"],
                value=e.get("value", item["text"][int(e["start"]) : int(e["end"])]),
                role=e.get("role"),
                group=e.get("group"),
            )
            for e in item.get("entities") or ()
        ),
    )


def train_summary(result: TrainResult) -> dict[str, Any]:
    return {
        "model": str(result.model_path),
        "model_id": result.model_id,
        "kind": result.metadata.get("kind", "full"),
        "parent_model_id": result.metadata.get("parent_model_id"),
        "seconds": result.metadata.get("training_seconds"),
        "nodes": [
            {"name": node.name, "status": node.status, "seconds": round(node.seconds, 3)}
            for node in result.report
        ],
        "warnings": list(result.warnings),
    }


def refusal_summary(refused: FinetuneRefused) -> dict[str, Any]:
    verdict = refused.verdict
    details: dict[str, Any] = verdict.as_dict() if hasattr(verdict, "as_dict") else {}
    return {
        "refused": True,
        "summary": verdict.summary,
        "differences": details.get("differences", []),
        "allowed_changes": details.get("allowed_changes", []),
    }


def error_summary(error: BaseException) -> dict[str, Any]:
    summary: dict[str, Any] = {"error": str(error) or type(error).__name__}
    summary["type"] = type(error).__name__
    if isinstance(error, ProjectError):
        summary["problems"] = [problem.as_dict() for problem in error.problems]
    notes = getattr(error, "__notes__", None)
    if notes:
        summary["notes"] = list(notes)
    return summary


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


class ProgressPrinter:
    """Prints one line per finished node and a few lines per ML component's epochs.

    Components report from worker threads: lines are written under a lock.
    """

    def __init__(self, out: Writable, *, epoch_lines: int = 5) -> None:
        self.out = out
        self.epoch_lines = epoch_lines
        self._lock = threading.Lock()

    def __call__(self, progress: Progress) -> None:
        line = self.line(progress)
        if line is None:
            return
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()

    def line(self, progress: Progress) -> str | None:
        metrics = progress.metrics
        if metrics.get("done"):
            status = "restored" if metrics.get("restored") else "trained"
            return f"{progress.node}: {status} in {metrics.get('seconds', 0.0):.2f} s"
        if not progress.epochs:
            return None
        step = max(1, progress.epochs // self.epoch_lines)
        if progress.epoch % step and progress.epoch != progress.epochs:
            return None
        shown = ", ".join(
            f"{key} {value:.4g}" if isinstance(value, int | float) else f"{key} {value}"
            for key, value in sorted(metrics.items())
        )
        return f"{progress.node}: epoch {progress.epoch}/{progress.epochs}" + (
            f" ({shown})" if shown else ""
        )


def _finish(out: TextIO, summary: Any, code: int) -> int:
    out.write(json.dumps(summary, ensure_ascii=False, default=str) + "\n")
    out.flush()
    return code
