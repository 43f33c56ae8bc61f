"""``manage.py interactive ASSISTANT`` driven through a pseudo-terminal, as a person would:
a separate process on a database file, a real model, the answers typed at its prompts."""

from __future__ import annotations

import os
import pty
import re
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.training.interactive.helpers import train_project, write_project

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
SETUP = """
import shutil
from pathlib import Path
from django.core.management import call_command
from annotation.services.project_import import assistant_import_from_path
from training.services import assistant_models_dir
call_command("migrate", verbosity=0)
assistant = assistant_import_from_path(name="tiny", path=Path({project!r}))
models = assistant_models_dir(assistant=assistant)
models.mkdir(parents=True, exist_ok=True)
shutil.copy({archive!r}, models)
print("ready", assistant.pk)
"""
TIMEOUT = 120.0


class Terminal:
    """A process on a pseudo-terminal: wait for text on its screen, type lines."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, close_fds=True
        )
        os.close(slave)
        self.screen = ""
        self.seen = 0

    def expect(self, pattern: str) -> re.Match[str]:
        """Wait for ``pattern`` after what the last ``expect`` matched."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            found = re.compile(pattern).search(self.screen, self.seen)
            if found:
                self.seen = found.end()
                return found
            left = deadline - time.monotonic()
            if left <= 0 or (self.process.poll() is not None and not self._read(0.2)):
                raise AssertionError(f"{pattern!r} never showed; the screen:\n{self.screen}")
            self._read(min(left, 1.0))

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the process closed the terminal
            return False
        self.screen += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return bool(data)

    def type(self, line: str) -> None:
        os.write(self.master, f"{line}\n".encode())

    def close(self) -> int:
        try:
            return self.process.wait(TIMEOUT)
        finally:
            os.close(self.master)


def test_given_a_terminal_when_an_action_and_an_intent_are_corrected_then_it_all_is_saved(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path / "project")
    archive = train_project(project, tmp_path / "trained")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings.base",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'parley.sqlite3'}",
        "PARLEY_DATA_DIR": str(tmp_path / "data"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    manage = [sys.executable, str(REPO / "manage.py")]
    setup = subprocess.run(
        [*manage, "shell", "-c", SETUP.format(project=str(project), archive=str(archive))],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert "ready" in setup.stdout, setup.stderr

    terminal = Terminal(
        [*manage, "interactive", "tiny", "--name", "from the terminal", "--test"], env
    )
    try:
        terminal.expect("Your input -> ")
        terminal.type("/greet")
        terminal.expect(
            r"The bot wants to \[utter_greet\] due to the intent 'greet'\. "
            r"Is this correct\?"
        )
        terminal.expect("1: yes")
        terminal.expect("2: the intent is right but the action is wrong")
        terminal.expect("3: the intent is wrong")
        terminal.expect("0: export and quit")
        terminal.type("2")
        listing = terminal.expect(
            r"What is the next action of the bot\?\n((?:.*\n)+?)Action number"
        )
        rows = re.findall(r"^\s+(\d+): (\S+)\s+([0-9.]+)$", listing.group(1), re.M)
        actions = {name: number for number, name, _ in rows}
        assert {"utter_greet", "utter_ok", "utter_goodbye", "action_listen"} <= set(actions)
        terminal.type(actions["utter_ok"])
        terminal.expect("Learned: the bot now runs utter_ok here")
        terminal.expect(r"bot:  Noted\.")
        terminal.expect(r"The bot wants to \[(\w+)\]")
        terminal.type("2")
        listing = terminal.expect(r"next action of the bot\?\n((?:.*\n)+?)Action number")
        rows = re.findall(r"^\s+(\d+): (\S+)\s+([0-9.]+)$", listing.group(1), re.M)
        terminal.type({name: number for number, name, _ in rows}["action_listen"])

        # a message the model reads wrong: the intent is corrected
        terminal.expect("Your input -> ")
        terminal.type("cheerio then")
        terminal.expect(r"The bot wants to \[\w+\] due to the intent '\w+'")
        terminal.type("3")
        listing = terminal.expect(r"What intent is 'cheerio then'\?\n((?:.*\n)+?)Intent number")
        intents = dict(
            (name, number)
            for number, name in re.findall(r"^\s+(\d+): (\w+)", listing.group(1), re.M)
        )
        terminal.type(intents["goodbye"])
        terminal.expect(r"user: cheerio then\s+\[goodbye\]")
        terminal.expect(r"Slots: none")
        terminal.expect(r"The bot wants to \[\w+\] due to the intent 'goodbye'")
        terminal.type("0")
        terminal.expect("Saved the story 'from the terminal' to the training data.")
        terminal.expect("Saved the test story 'from the terminal'")
        terminal.expect("Saved the NLU example 'cheerio then'.")
        terminal.expect(r"Keep it\? 1: keep, 2: throw away -> ")
        terminal.type("1")
        terminal.expect("Kept.")
    finally:
        code = terminal.close()
    assert code == 0, terminal.screen

    with sqlite3.connect(tmp_path / "parley.sqlite3") as db:
        stories = db.execute(
            "SELECT id, is_test FROM annotation_story WHERE name = 'from the terminal'"
        ).fetchall()
        story_id = next(pk for pk, is_test in stories if not is_test)
        steps = db.execute(
            "SELECT kind, name FROM annotation_storystep WHERE story_id = ? ORDER BY position",
            (story_id,),
        ).fetchall()
        example = db.execute(
            "SELECT i.name FROM annotation_example e JOIN annotation_intent i ON e.intent_id = i.id"
            " WHERE e.text = 'cheerio then'"
        ).fetchall()
    assert sorted(is_test for _, is_test in stories) == [0, 1]
    assert steps[:3] == [("intent", "greet"), ("action", "utter_ok"), ("intent", "goodbye")]
    assert example == [("goodbye",)]
    archives = list((tmp_path / "data" / "models").glob("*/*.tar.gz"))
    assert len(archives) == 2  # the base model and the version learned on the fly, kept
