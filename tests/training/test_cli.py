"""``python -m training.engine`` end to end on a tiny project (tiny epochs)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.training.tiny_project import add_intent, write_tiny_project
from training.cli import main


def run_cli(*args: str | Path, cache: Path) -> tuple[int, dict[str, Any], str]:
    env = {**os.environ, "PARLEY_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "training.engine", *map(str, args)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    return done.returncode, json.loads(lines[-1]), done.stdout


def run_in_process(*args: str | Path, cache: Path) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    previous = os.environ.get("PARLEY_CACHE_DIR")
    os.environ["PARLEY_CACHE_DIR"] = str(cache)
    try:
        code = main([str(arg) for arg in args], stdout=out)
    finally:
        if previous is None:
            os.environ.pop("PARLEY_CACHE_DIR")
        else:
            os.environ["PARLEY_CACHE_DIR"] = previous
    return code, json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("cli")
    project = write_tiny_project(root / "project")
    models = root / "models"
    code, summary, stdout = run_cli("train", project, "--out", models, cache=root / "cache")
    return {
        "root": root,
        "project": project,
        "models": models,
        "cache": root / "cache",
        "code": code,
        "summary": summary,
        "stdout": stdout,
    }


def test_given_a_project_when_trained_then_the_last_line_is_the_json_summary(
    trained: dict[str, Any],
) -> None:
    summary = trained["summary"]

    assert trained["code"] == 0
    assert set(summary) >= {"model", "model_id", "kind", "seconds", "nodes", "warnings"}
    assert summary["kind"] == "full"
    assert Path(summary["model"]).is_file()
    assert [node["name"] for node in summary["nodes"]] == [
        "0_WhitespaceTokenizer",
        "1_CountVectorsFeaturizer",
        "2_DIETClassifier",
        "3_EntitySynonymMapper",
        "policy_0_MemoizationPolicy",
    ]
    assert {node["status"] for node in summary["nodes"]} == {"trained"}
    assert "2_DIETClassifier: trained in" in trained["stdout"]


def test_given_no_change_when_retrained_then_every_node_is_restored(
    trained: dict[str, Any], tmp_path: Path
) -> None:
    code, summary = run_in_process(
        "train", trained["project"], "--out", tmp_path, cache=trained["cache"]
    )

    assert code == 0
    assert {node["status"] for node in summary["nodes"]} == {"restored"}


def test_given_an_added_intent_when_fine_tuned_then_refused_with_exit_code_3(
    trained: dict[str, Any], tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(trained["project"], project)
    add_intent(project)

    code, summary, _ = run_cli(
        "train", project, "--out", trained["models"], "--finetune", cache=trained["cache"]
    )

    assert code == 3
    assert summary["refused"] is True
    assert summary["differences"] == [
        {
            "kind": "intent",
            "name": "thank",
            "change": "added",
            "detail": "new intent 'thank': the base model has no such label",
        }
    ]
    assert summary["summary"] == "Fine-tune refused: 1 intent added"
    assert summary["allowed_changes"]


def test_given_new_examples_when_fine_tuned_then_a_child_model_is_written(
    trained: dict[str, Any], tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(trained["project"], project)
    nlu = project / "data" / "nlu.yml"
    nlu.write_text(nlu.read_text().replace("    - hey\n", "    - hey\n    - howdy\n"))
    base = trained["summary"]["model"]

    code, summary = run_in_process(
        "train",
        project,
        "--out",
        tmp_path / "models",
        "--finetune",
        base,
        "--epoch-fraction",
        "0.5",
        cache=trained["cache"],
    )

    assert code == 0, summary
    assert summary["kind"] == "finetune"
    assert summary["parent_model_id"] == trained["summary"]["model_id"]


def test_given_a_model_when_parsing_then_rasa_parse_json(trained: dict[str, Any]) -> None:
    code, result, _ = run_cli("parse", trained["models"], "hi from Paris", cache=trained["cache"])

    assert code == 0
    assert set(result) >= {"text", "intent", "entities", "intent_ranking"}
    assert result["text"] == "hi from Paris"
    assert set(result["intent"]) == {"name", "confidence"}
    assert result["intent"]["name"] in {"greet", "goodbye", "inform"}
    for entity in result["entities"]:
        assert {"entity", "start", "end", "value"} <= set(entity)


def test_given_an_nlu_file_when_tested_then_a_report_is_written(
    trained: dict[str, Any], tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    nlu_file = trained["project"] / "data" / "nlu.yml"

    code, summary, _ = run_cli(
        "test-nlu",
        trained["summary"]["model"],
        nlu_file,
        "--out",
        report_path,
        cache=trained["cache"],
    )

    assert code == 0
    assert summary["report"] == str(report_path)
    report = json.loads(report_path.read_text())
    assert report["examples"] == 12
    assert set(report["intent"]) >= {"accuracy", "macro_f1", "per_intent", "confusions"}
    assert set(report["intent"]["per_intent"]) == {"greet", "goodbye", "inform"}
    assert set(report["entities"]) == {"exact", "overlap"}
    assert set(report["entities"]["exact"]) >= {"precision", "recall", "f1", "per_entity"}
    assert 0.0 <= summary["intent_accuracy"] <= 1.0


def test_given_a_usage_error_then_exit_2_with_a_json_error(tmp_path: Path) -> None:
    code, summary = run_in_process("train", tmp_path, cache=tmp_path / "cache")

    assert code == 2
    assert "--out" in summary["error"]


def test_given_a_missing_project_then_exit_2_with_a_json_error(tmp_path: Path) -> None:
    code, summary = run_in_process(
        "train", tmp_path / "nowhere", "--out", tmp_path / "models", cache=tmp_path / "cache"
    )

    assert code == 2
    assert "nowhere" in summary["error"]


def test_given_an_unknown_component_then_exit_2_naming_what_is_supported(tmp_path: Path) -> None:
    project = write_tiny_project(tmp_path / "project")
    config = project / "config.yml"
    config.write_text(config.read_text().replace("EntitySynonymMapper", "BertMagicClassifier"))

    code, summary = run_in_process(
        "train", project, "--out", tmp_path / "models", cache=tmp_path / "cache"
    )

    assert code == 2
    assert "BertMagicClassifier" in summary["error"]
    assert "WhitespaceTokenizer" in summary["error"]


def test_given_no_base_model_when_fine_tuning_then_exit_2(tmp_path: Path) -> None:
    project = write_tiny_project(tmp_path / "project")

    code, summary = run_in_process(
        "train", project, "--out", tmp_path / "models", "--finetune", cache=tmp_path / "cache"
    )

    assert code == 2
    assert "no model archive" in summary["error"]


def test_given_a_project_when_printing_its_graph_then_nodes_with_inputs_and_json_last(
    tmp_path: Path,
) -> None:
    project = write_tiny_project(tmp_path / "project")

    code, summary = run_in_process("graph", project, cache=tmp_path / "cache")

    assert code == 0
    names = [node["name"] for node in summary["nodes"]]
    assert names[0].endswith("_WhitespaceTokenizer")
    classifier = next(node for node in summary["nodes"] if node["kind"] == "classifier")
    assert names[0] in classifier["needs"]
    assert all(need in names for node in summary["nodes"] for need in node["needs"])
