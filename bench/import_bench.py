"""Time reading and importing a large Rasa project: 100,000 NLU examples and 5,000 stories.

Run:  DJANGO_SETTINGS_MODULE=project.settings.base DEBUG=1 .venv/bin/python -m bench.import_bench
With DATABASE_URL=postgres://user@host:port/any it creates (and drops) a ``parley_bench``
database on that server; otherwise it uses a temporary SQLite file. Results go to
bench/results/import.json (the latest run) and import-<database>.json (one per database).
``read_s`` times ``read_project``, ``import_s`` times ``assistant_import`` of what was read,
``total_s`` a second, separate ``assistant_import_from_path`` (read and import) under a new name.
Django's DEBUG query log is switched off while measuring, as in production.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

TARGET_S = 60.0
RESULTS = Path(__file__).resolve().parent / "results" / "import.json"
BENCH_DB = "parley_bench"

CITIES = ["Berlin", "Paris", "New York", "Lagos", "São Paulo", "Tokyo", "Delhi", "Cairo"]
CUISINES = ["thai", "italian", "mexican", "ethiopian", "japanese", "greek"]
WORDS = [
    "please", "could", "you", "help", "me", "with", "my", "order", "account", "ticket",
    "today", "tomorrow", "again", "now", "quickly", "the", "a", "new", "old", "other",
]  # fmt: skip

# ------------------------------------------------------------------------------ generator


def generate_project(
    root: Path, *, examples: int, stories: int, intents: int = 500, seed: int = 7
) -> None:
    """Write a synthetic Rasa 3.1 project: ``examples`` NLU examples over ``intents`` intents
    (every fourth example annotated), ``stories`` stories of 4 to 10 steps, spread over files."""
    rng = random.Random(seed)
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "data" / "stories").mkdir(parents=True)
    intent_names = [f"intent_{i:04d}" for i in range(intents)]
    responses = [f"utter_reply_{i:04d}" for i in range(intents)]
    (root / "config.yml").write_text(
        'version: "3.1"\nlanguage: en\npipeline:\n- name: WhitespaceTokenizer\n'
        "- name: CountVectorsFeaturizer\n- name: DIETClassifier\n  epochs: 100\n"
        "policies:\n- name: MemoizationPolicy\n- name: RulePolicy\n",
        encoding="utf-8",
    )
    domain = ['version: "3.1"', "intents:"]
    domain += [f"- {name}" for name in intent_names]
    domain += ["entities:", "- city", "- cuisine", "slots:"]
    for slot in ("city", "cuisine"):
        domain += [
            f"  {slot}:",
            "    type: text",
            "    mappings:",
            "    - type: from_entity",
            f"      entity: {slot}",
        ]
    domain.append("responses:")
    for name in responses:
        domain += [f"  {name}:", f"  - text: Reply {name[-4:]} for {{city}}"]
    domain += ["actions:", "- action_lookup", "session_config:"]
    domain += ["  session_expiration_time: 60", "  carry_over_slots_to_new_session: true", ""]
    (root / "domain.yml").write_text("\n".join(domain), encoding="utf-8")

    files = 10
    per_intent = examples // intents
    extra = examples - per_intent * intents
    count = 0
    for f in range(files):
        lines = ['version: "3.1"', "nlu:"]
        for i in range(f, intents, files):
            lines += [f"- intent: {intent_names[i]}", "  examples: |"]
            for j in range(per_intent + (1 if i < extra else 0)):
                words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8)))
                text = f"{words} {i} {j}"
                if count % 4 == 0:
                    city = rng.choice(CITIES)
                    text = f"{words} in [{city}](city) {i} {j}"
                elif count % 4 == 1 and count % 8 == 1:
                    food = rng.choice(CUISINES)
                    text = f'some [{food}]{{"entity": "cuisine"}} {words} {i} {j}'
                lines.append(f"    - {text}")
                count += 1
        if f == 0:
            lines += ["- synonym: New York", "  examples: |", "    - NYC", "    - new york city"]
            lines += ["- lookup: city", "  examples: |"] + [f"    - {c}" for c in CITIES]
        (root / "data" / "nlu" / f"nlu_{f:02d}.yml").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )
    assert count == examples, (count, examples)

    story_files = 5
    per_file = stories // story_files
    for f in range(story_files):
        lines = ['version: "3.1"', "stories:"]
        for s in range(per_file + (stories % story_files if f == 0 else 0)):
            lines.append(f"- story: path {f} {s}")
            lines.append("  steps:")
            for _ in range(rng.randint(2, 5)):
                i = rng.randrange(intents)
                lines.append(f"  - intent: {intent_names[i]}")
                if rng.random() < 0.2:
                    city = rng.choice(CITIES)
                    lines += ["    entities:", f"    - city: {city}"]
                    lines += ["  - slot_was_set:", f"    - city: {city}"]
                lines.append(f"  - action: {responses[i]}")
        (root / "data" / "stories" / f"stories_{f}.yml").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )


# ------------------------------------------------------------------------------- database


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Point DATABASE_URL at a fresh database (before Django starts) and remove it after."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg2

        admin = _with_database(url, "postgres")

        def run(statement: str) -> None:
            connection = psycopg2.connect(admin)
            connection.autocommit = True
            try:
                with connection.cursor() as cursor:
                    cursor.execute(statement)
            finally:
                connection.close()

        run(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        run(f"CREATE DATABASE {BENCH_DB}")
        os.environ["DATABASE_URL"] = _with_database(url, BENCH_DB)
        try:
            yield "postgresql"
        finally:
            from django.db import connections

            connections.close_all()
            run(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    else:
        with tempfile.TemporaryDirectory(prefix="parley-bench-db-") as tmp:
            os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            try:
                yield "sqlite"
            finally:
                from django.db import connections

                connections.close_all()


# ---------------------------------------------------------------------------------- bench


def run_bench(*, examples: int, stories: int) -> dict[str, Any]:
    import logging

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.base")
    os.environ.setdefault("DEBUG", "1")
    django.setup()
    from django.conf import settings

    # measure as production runs: DEBUG=1 only supplies a development SECRET_KEY here, and
    # Django's DEBUG query log (every bulk INSERT's SQL kept in memory) is no part of an import
    settings.DEBUG = False
    logging.getLogger("django.db.backends").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    from annotation import models as m
    from annotation.rasa_io.reader import read_project
    from annotation.selectors.project_export import assistant_export_files
    from annotation.services.project_import import assistant_import, assistant_import_from_path

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory(prefix="parley-bench-project-") as tmp:
        root = Path(tmp) / "project"
        generate_project(root, examples=examples, stories=stories)

        start = time.perf_counter()
        project = read_project(root)
        read_s = time.perf_counter() - start
        start = time.perf_counter()
        assistant_import(name="bench-split", project=project)
        import_s = time.perf_counter() - start

        start = time.perf_counter()
        assistant = assistant_import_from_path(name="bench", path=root)
        total_s = time.perf_counter() - start

    start = time.perf_counter()
    assistant_export_files(assistant=assistant)
    export_s = time.perf_counter() - start

    stored_examples = m.Example.objects.filter(assistant=assistant).count()
    stored_stories = m.Story.objects.filter(assistant=assistant).count()
    assert stored_examples == examples, stored_examples
    assert stored_stories == stories, stored_stories
    if connection.vendor == "sqlite":
        import sqlite3

        version = sqlite3.sqlite_version
    else:
        number = connection.pg_version  # type: ignore[attr-defined]
        version = f"{number // 10000}.{number % 10000}"
    return {
        "database": f"{connection.vendor} {version}",
        "examples": stored_examples,
        "stories": stored_stories,
        "spans": m.EntitySpan.objects.filter(assistant=assistant).count(),
        "steps": m.StoryStep.objects.filter(story__assistant=assistant).count(),
        "read_s": round(read_s, 2),
        "import_s": round(import_s, 2),
        "total_s": round(total_s, 2),
        "export_s": round(export_s, 2),  # assistant_project + render_project, for reference
        "target_s": TARGET_S,
        "passed": total_s < TARGET_S and read_s + import_s < TARGET_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--stories", type=int, default=5_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    with throwaway_database():
        result = run_bench(examples=args.examples, stories=args.stories)
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2) + "\n"
    # the latest run, and one file per database so that both measurements are kept
    output.write_text(text, encoding="utf-8")
    vendor = result["database"].split()[0]
    output.with_name(f"{output.stem}-{vendor}{output.suffix}").write_text(text, encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
