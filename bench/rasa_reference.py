"""Reference numbers from a real Rasa 3.6 on the shared Rasa projects (issue 4, point 7).

Rasa is NOT a Parley dependency: it runs from its own virtualenv, through its CLI only.
Create that virtualenv once (Rasa 3.6 runs on Python 3.8 to 3.10):

    python3.10 -m venv /tmp/rasa36
    /tmp/rasa36/bin/pip install "rasa==3.6.*"

Run (about 45 minutes on 2 busy CPU cores, e2ebot's TED alone 10 to 17 of them; ``--only``
reruns some projects and keeps the others' entries; the file is rewritten after each project):

    .venv/bin/python -m bench.rasa_reference --rasa /tmp/rasa36/bin/rasa [--runs N] [--only P ...]

It writes bench/reference/rasa-3.6-test-stories.json, which
tests/training/test_shared_projects.py reads (Parley must score at least as well), and Rasa's own
output under bench/results/rasa-reference/ (git-ignored). Each project of
../shared/data/rasa-projects is copied to a temporary folder, then:

1. ``rasa train`` with the project's files as written. Where that fails, the failure is recorded
   and the copy is made to train the way Parley makes it train, each step recorded as an attempt:
   a version-2.0 domain that Rasa 3 rejects (slots without ``mappings``) is converted by
   ``rasa data migrate``; components that need downloaded models (spaCy, Hugging Face, MITIE,
   ConveRT) are replaced by Parley's substitutes (``training.engine.substitutes``), so both
   sides train the same pipeline.
2. Where the project has ``tests/``: ``rasa test core --stories tests`` (the stories' intents are
   given, as in Parley's ``test-stories``) and the same with ``--e2e`` (what plain ``rasa test``
   does with test stories: each ``user:`` text goes through the NLU model and a wrong intent fails
   the story, as in Parley's ``nlu_conversation_accuracy``). The figures are read from Rasa's
   ``story_report.json`` and ``failed_test_stories.yml``: action accuracy over the action labels,
   intent accuracy over the intent labels (Rasa's own "accuracy" mixes the two in ``--e2e``).

Rasa leaves DIET's and TED's ``random_seed`` unset by default, so its figures vary from one
training to the next (e2ebot: 0 to 4 of its 4 test stories right, intents given, on the same
machine): ``--runs N`` retrains N times (``--force``, no cache) and records every run; each mode's
headline figures are those of its best run, the highest bar for Parley's tests.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from training.engine.substitutes import substitute_pipeline

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = ROOT.parent / "shared" / "data" / "rasa-projects"
OUT = Path(__file__).resolve().parent / "reference" / "rasa-3.6-test-stories.json"
LOGS = Path(__file__).resolve().parent / "results" / "rasa-reference"  # git-ignored
MODEL = "models/model.tar.gz"
# keys of an sklearn classification report that are not labels
_AGGREGATES = {"accuracy", "micro avg", "macro avg", "weighted avg", "conversation_accuracy"}
_ERROR_LINES = 8
MODES = ("intents_given", "with_nlu")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rasa", type=Path, required=True, help="the rasa executable")
    parser.add_argument("--projects", type=Path, default=PROJECTS, help="folder of projects")
    parser.add_argument("--only", nargs="*", default=None, help="project names to run")
    parser.add_argument("--out", type=Path, default=OUT, help="the JSON file to (re)write")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per rasa command")
    parser.add_argument("--runs", type=int, default=1, help="trainings per project with tests")
    args = parser.parse_args(argv)

    rasa = args.rasa.resolve()
    version = rasa_version(rasa)
    results: dict[str, Any] = _load(args.out) if args.only else {}
    projects = dict(results.get("projects", {}))
    for kept in projects.values():  # entries written before these keys were per project
        kept.setdefault("rasa_version", results.get("rasa_version"))
        kept.setdefault("date", results.get("date"))
    for project in sorted(p for p in args.projects.iterdir() if p.is_dir()):
        if args.only and project.name not in args.only:
            continue
        print(f"== {project.name}", flush=True)
        projects[project.name] = {
            "rasa_version": version,
            "date": _now(),
            **run_project(rasa, project, runs=args.runs, timeout=args.timeout),
        }
        print(json.dumps(_headline(projects[project.name])), flush=True)
        _write(args.out, version, args.rasa, argv, projects)  # after each project: hours of work
    _write(args.out, version, args.rasa, argv, projects)
    print(f"wrote {args.out}")
    return 0


def run_project(rasa: Path, project: Path, *, runs: int, timeout: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"rasa-ref-{project.name}-") as tmp:
        work = Path(tmp) / project.name
        shutil.copytree(project, work)
        _make_writable(work)  # the shared files may be read-only
        attempts = [_train(rasa, work, "as written", timeout=timeout)]
        if not attempts[-1]["trained"] and attempts[-1]["domain_invalid"]:
            migrated = _migrate_domain(rasa, work, timeout=timeout)
            attempts.append(_train(rasa, work, migrated, timeout=timeout))
        if not attempts[-1]["trained"]:
            warnings = _write_substituted_config(work)
            if warnings:
                attempt = _train(rasa, work, "with Parley's substitutes", timeout=timeout)
                attempt["substitutes"] = warnings
                attempts.append(attempt)
        trained = attempts[-1]["trained"]
        result: dict[str, Any] = {
            "trained": trained,
            "trained_as_written": attempts[0]["trained"],
            "trained_with": " + ".join(a["config"] for a in attempts) if trained else None,
            "error": None if attempts[0]["trained"] else attempts[0]["error"],
            "attempts": attempts,
        }
        tests = work / "tests"
        if tests.is_dir() and trained:
            result["test_stories"] = _evaluate(rasa, work, runs=runs, timeout=timeout)
        return result


def _evaluate(rasa: Path, work: Path, *, runs: int, timeout: int) -> dict[str, Any]:
    intents = _domain_intents(work / "domain.yml")
    evaluations = []
    for run in range(runs):
        if run:  # the first run evaluates the model trained already
            (work / MODEL).unlink()
            if not _train(rasa, work, "again", timeout=timeout, force=True)["trained"]:
                break
        evaluations.append(
            {
                mode: _test_core(rasa, work, intents, e2e=mode == "with_nlu", timeout=timeout)
                for mode in MODES
            }
        )
    return {
        "file": "tests/" + ",".join(sorted(p.name for p in (work / "tests").iterdir())),
        "runs": len(evaluations),
        **{mode: _best([e[mode] for e in evaluations]) for mode in MODES},
        "every_run": evaluations,
    }


def _best(figures: list[dict[str, Any]]) -> dict[str, Any]:
    scored = [f for f in figures if f.get("stories") is not None] or figures
    return max(scored, key=lambda f: (f.get("stories_correct") or 0, f.get("actions_correct") or 0))


def _train(
    rasa: Path, work: Path, label: str, *, timeout: int, force: bool = False
) -> dict[str, Any]:
    """``--force`` retrains every component (else Rasa restores them from its cache)."""
    args = ["train", "--out", "models", "--fixed-model-name", "model", *(["--force"] * force)]
    run = _run([str(rasa), *args], work, timeout=timeout)
    trained = run["returncode"] == 0 and (work / MODEL).is_file()
    return {
        "config": label,
        "command": "rasa " + " ".join(args),
        "trained": trained,
        "seconds": run["seconds"],
        "error": None if trained else _error_excerpt(run["output"]),
        # Rasa 3 rejects a version-2.0 domain whose slots carry no mappings
        "domain_invalid": any(
            "Failed to validate" in line and "domain" in line for line in run["output"].splitlines()
        ),
    }


def _test_core(
    rasa: Path, work: Path, intents: set[str], *, e2e: bool, timeout: int
) -> dict[str, Any]:
    out = "results-e2e" if e2e else "results"
    args = ["test", "core", "--model", MODEL, "--stories", "tests", "--out", out, "--no-plot"]
    if e2e:
        args.append("--e2e")
    run = _run([str(rasa), *args], work, timeout=timeout)
    report_file = work / out / "story_report.json"
    if run["returncode"] != 0 or not report_file.is_file():
        return {"command": "rasa " + " ".join(args), "error": _error_excerpt(run["output"])}
    report = json.loads(report_file.read_text("utf-8"))
    conversations = report.get("conversation_accuracy", {})
    actions = _accuracy(report, lambda label: label not in intents and not _is_entity(label))
    summary: dict[str, Any] = {
        "command": "rasa " + " ".join(args),
        "stories": conversations.get("total"),
        "stories_correct": conversations.get("correct"),
        "conversation_accuracy": conversations.get("accuracy"),
        "actions": actions["total"],
        "actions_correct": actions["correct"],
        "action_accuracy": actions["accuracy"],
        "failed_stories": _failed_story_names(work / out / "failed_test_stories.yml"),
        "seconds": run["seconds"],
    }
    if e2e:
        user_turns = _accuracy(report, lambda label: label in intents)
        summary["user_turns"] = user_turns["total"]
        summary["intent_accuracy"] = user_turns["accuracy"]
        entities = _accuracy(report, _is_entity)  # Rasa fails a story on a wrong entity too
        summary["entities"] = entities["total"]
        summary["entity_accuracy"] = entities["accuracy"]
    return summary


def _accuracy(report: dict[str, Any], keep: Callable[[str], bool]) -> dict[str, Any]:
    """Accuracy over some of the report's labels: each label's correct count is its recall
    times its support (the report holds the gold labels only)."""
    total = correct = 0
    for label, scores in report.items():
        if label in _AGGREGATES or not isinstance(scores, dict) or not keep(label):
            continue
        support = int(scores.get("support", 0))
        total += support
        correct += round(float(scores.get("recall", 0.0)) * support)
    return {"total": total, "correct": correct, "accuracy": correct / total if total else None}


def _is_entity(label: str) -> bool:
    """``--e2e`` also reports the entities of the user texts, written as ``[text](type)``
    (``None`` where one side has no entity)."""
    return label == "None" or label.startswith("[")


def _failed_story_names(path: Path) -> list[str]:
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    return [str(story.get("story")) for story in data.get("stories") or []]


def _domain_intents(path: Path) -> set[str]:
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    names: set[str] = set()
    for item in data.get("intents") or []:
        names.update(item.keys() if isinstance(item, dict) else {str(item)})
    return names


def _make_writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)


def _migrate_domain(rasa: Path, work: Path, *, timeout: int) -> str:
    """``rasa data migrate``: Rasa 3 wants the slot mappings of a version-2.0 domain on the
    slots; the project's own files are not changed, only the temporary copy."""
    command = [str(rasa), "data", "migrate", "-d", "domain.yml", "--out", "migrated_domain.yml"]
    run = _run(command, work, timeout=timeout)
    if run["returncode"] != 0 or not (work / "migrated_domain.yml").is_file():
        return "domain migration failed: " + _error_excerpt(run["output"])
    (work / "migrated_domain.yml").replace(work / "domain.yml")
    (work / "original_domain.yml").unlink(missing_ok=True)
    return "domain migrated by `rasa data migrate`"


def _write_substituted_config(work: Path) -> list[str]:
    """Rewrites the copy's config.yml with Parley's substitutes; the warnings, or [] when
    nothing needed substituting (the config is then left as it was)."""
    path = work / "config.yml"
    config = yaml.safe_load(path.read_text("utf-8")) or {}
    pipeline, warnings = substitute_pipeline(config.get("pipeline") or [])
    if warnings:
        config["pipeline"] = [item for item in pipeline if item is not None]
        path.write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    return warnings


def _run(command: list[str], cwd: Path, *, timeout: int) -> dict[str, Any]:
    """Runs one rasa command; its output goes to LOGS/<folder name>.log as it comes (to follow
    a long training) and is returned."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{cwd.name}.log"
    started = time.perf_counter()
    with log.open("ab") as sink:
        sink.write(f"\n$ {' '.join(command)}\n".encode())
        sink.flush()
        start = sink.tell()
        try:
            returncode = subprocess.run(
                command, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT, timeout=timeout
            ).returncode
        except subprocess.TimeoutExpired as expired:
            returncode = -1
            sink.write(f"\ntimed out after {expired.timeout} s\n".encode())
    with log.open("rb") as source:
        source.seek(start)
        output = source.read().decode("utf-8", errors="replace")
    return {
        "returncode": returncode,
        "output": output,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _error_excerpt(output: str) -> str:
    """The first line that names an error and the lines after it, without colour codes."""
    lines = [_ANSI.sub("", line).strip() for line in output.splitlines()]
    lines = [line for line in lines if line]
    for index, line in enumerate(lines):
        if ("Exception" in line or "Error" in line) and "Warning" not in line:
            return "\n".join(lines[index : index + _ERROR_LINES])
    return "\n".join(lines[-_ERROR_LINES:])


def rasa_version(rasa: Path) -> str:
    run = _run([str(rasa), "--version"], Path.cwd(), timeout=300)
    for line in run["output"].splitlines():
        if line.startswith("Rasa Version"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def _headline(result: dict[str, Any]) -> dict[str, Any]:
    headline: dict[str, Any] = {"trained": result["trained"], "error": result["error"]}
    for mode, figures in (result.get("test_stories") or {}).items():
        if isinstance(figures, dict):
            headline[mode] = {
                k: figures.get(k) for k in ("stories", "stories_correct", "action_accuracy")
            }
    return headline


def _write(
    out: Path, version: str, rasa: Path, argv: Sequence[str] | None, projects: dict[str, Any]
) -> None:
    results = {
        "about": "Rasa's own figures on the shared projects; written by bench/rasa_reference.py",
        "rasa_version": version,
        "rasa": str(rasa),
        "command": "python -m bench.rasa_reference " + " ".join(argv or sys.argv[1:]),
        "date": _now(),
        "projects": projects,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return loaded


if __name__ == "__main__":
    sys.exit(main())
