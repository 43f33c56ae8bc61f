"""import_assistant, export_assistant, validate_assistant: output and exit codes."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotation import models as m
from annotation.rasa_io.types import Problem
from annotation.selectors import validation
from tests.conftest import RASA_PROJECTS

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not RASA_PROJECTS.is_dir(), reason="shared projects absent"),
]

MOODBOT = RASA_PROJECTS / "moodbot-3.6"


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _run_failing(*args: str) -> tuple[CommandError, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(*args, stdout=out, stderr=err)
    assert raised.value.returncode == 1
    return raised.value, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------------- import


def test_given_a_project_when_imported_then_counts_are_printed() -> None:
    out, _ = _run("import_assistant", str(MOODBOT), "--name", "mood")

    assistant = m.Assistant.objects.get(name="mood")
    examples = m.Example.objects.filter(assistant=assistant).count()
    assert "Imported assistant 'mood'" in out
    assert f"examples: {examples}" in out
    assert re.search(r"intents: \d+", out)


def test_given_an_existing_name_when_imported_without_replace_then_exit_1() -> None:
    _run("import_assistant", str(MOODBOT), "--name", "mood")

    error, _, _ = _run_failing("import_assistant", str(MOODBOT), "--name", "mood")

    assert "pass replace" in str(error)
    out, _ = _run("import_assistant", str(MOODBOT), "--name", "mood", "--replace")
    assert "Imported" in out
    assert m.Assistant.objects.count() == 1


def test_given_a_broken_project_when_imported_then_problems_on_stderr_and_exit_1(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(MOODBOT, broken)
    (broken / "domain.yml").write_text(
        'version: "3.1"\nintents:\n- greet\nintnets:\n- bye\n', encoding="utf-8"
    )

    error, _, err = _run_failing("import_assistant", str(broken), "--name", "broken")

    assert re.search(r"^domain\.yml:\d+: ", err, re.MULTILINE)
    assert "nothing was written" in str(error)
    assert not m.Assistant.objects.exists()


def test_given_a_misspelt_key_when_imported_then_the_suggestion_is_printed_once(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(MOODBOT, broken)
    (broken / "data" / "nlu.yml").write_text(
        'version: "3.1"\nnlu:\n- intnet: greet\n  examples: |\n    - hi\n', encoding="utf-8"
    )

    _, _, err = _run_failing("import_assistant", str(broken), "--name", "broken")

    line = next(text for text in err.splitlines() if text.startswith("data/nlu.yml:3: "))
    assert line.count("'intent'") == 1


# --------------------------------------------------------------------------------- export


def test_given_an_assistant_when_exported_then_files_are_written(tmp_path: Path) -> None:
    _run("import_assistant", str(MOODBOT), "--name", "mood")

    out, _ = _run("export_assistant", "mood", str(tmp_path / "out"))

    assert (tmp_path / "out" / "domain.yml").is_file()
    assert (tmp_path / "out" / "data" / "nlu.yml").is_file()
    assert "Exported 'mood'" in out
    # the written folder imports again
    _run("import_assistant", str(tmp_path / "out"), "--name", "again")
    assert m.Assistant.objects.count() == 2


def test_given_an_unknown_assistant_when_exported_then_exit_1(tmp_path: Path) -> None:
    error, _, _ = _run_failing("export_assistant", "nobody", str(tmp_path))
    assert "No assistant named 'nobody'" in str(error)


# ------------------------------------------------------------------------------- validate


def _fake_problems(monkeypatch: pytest.MonkeyPatch, problems: list[Problem]) -> None:
    monkeypatch.setattr(validation, "validate_project", lambda project, max_history: problems)


WARNING = Problem("warning", "unused_intent", "intent 'x' is never used", "domain.yml", 4)
ERROR = Problem("error", "unknown_intent", "intent 'y' is not in the domain", "data/nlu.yml", 9)


def test_given_only_warnings_when_validated_then_printed_and_exit_0(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _run("import_assistant", str(MOODBOT), "--name", "mood")
    _fake_problems(monkeypatch, [WARNING])

    out, _ = _run("validate_assistant", "mood")

    assert "domain.yml:4: warning: intent 'x' is never used [unused_intent]" in out
    assert "0 error(s), 1 warning(s)" in out


def test_given_warnings_and_fail_on_warnings_when_validated_then_exit_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _run("import_assistant", str(MOODBOT), "--name", "mood")
    _fake_problems(monkeypatch, [WARNING])

    _run_failing("validate_assistant", "mood", "--fail-on-warnings")


def test_given_an_error_when_validated_as_json_then_json_and_exit_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _run("import_assistant", str(MOODBOT), "--name", "mood")
    _fake_problems(monkeypatch, [ERROR, WARNING])

    _, out, _ = _run_failing("validate_assistant", "mood", "--format", "json")

    data = json.loads(out)
    assert [p["code"] for p in data] == ["unknown_intent", "unused_intent"]
    assert data[0]["file"] == "data/nlu.yml" and data[0]["line"] == 9


def test_given_max_history_when_validated_then_passed_to_the_validation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _run("import_assistant", str(MOODBOT), "--name", "mood")
    seen: list[int | None] = []

    def record(project: object, max_history: int | None) -> list[Problem]:
        seen.append(max_history)
        return []

    monkeypatch.setattr(validation, "validate_project", record)

    out, _ = _run("validate_assistant", "mood", "--max-history", "3")

    assert seen == [3]
    assert "0 error(s), 0 warning(s)" in out


def test_given_a_real_project_when_validated_then_exit_code_follows_errors() -> None:
    _run("import_assistant", str(MOODBOT), "--name", "mood")
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("validate_assistant", "mood", stdout=out, stderr=err)
        failed = False
    except CommandError:
        failed = True
    assert failed == bool(re.search(r": error: ", out.getvalue()))
    assert re.search(r"\d+ error\(s\), \d+ warning\(s\)", out.getvalue())
