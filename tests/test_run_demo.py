"""scripts/run_demo.py: the web server and the worker live and die together."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "run_demo.py"


@pytest.fixture(scope="module")
def run_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_demo", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_demo"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_given_one_process_exits_when_supervising_then_the_other_is_stopped(
    run_demo: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    specs = [
        run_demo.ProcessSpec("long", [sys.executable, "-c", "import time; time.sleep(60)"]),
        run_demo.ProcessSpec("short", [sys.executable, "-c", "print('hello'); exit(3)"]),
    ]
    started = time.monotonic()

    code = run_demo.run(specs)

    assert code == 3
    assert time.monotonic() - started < 15
    out = capsys.readouterr().out
    assert "short | hello" in out
    assert "short exited with 3; stopping" in out
    assert out.rstrip().endswith("stopped")


def test_given_host_and_port_when_building_specs_then_the_web_server_and_a_solo_worker(
    run_demo: ModuleType,
) -> None:
    web, worker = run_demo.process_specs(host="127.0.0.1", port=8123, concurrency=1)
    assert web.argv[1:] == ["-m", "project.serve", "--bind", "127.0.0.1", "--port", "8123"]
    assert worker.argv[1:4] == ["-A", "project", "worker"]
    assert "--pool=solo" in worker.argv
    assert "-B" in worker.argv  # beat runs in the demo's worker


def test_given_actions_then_the_demo_action_server_runs_beside(run_demo: ModuleType) -> None:
    *_, actions = run_demo.process_specs(host="127.0.0.1", port=8123, concurrency=1, actions=True)

    assert actions.name == "actions"
    assert actions.argv[1:] == [
        "-m",
        "rasa_sdk",
        "--actions",
        "annotation.demo.concertbot.actions",
        "--port",
        "5055",
    ]
