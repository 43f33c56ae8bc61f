"""The annotation studio at scale: 100,000 conversations and 1,000,000 events.

Run:  DATABASE_URL=postgres://user@host:port/any .venv/bin/python -m bench.studio_bench
It creates (and drops) a ``parley_studio_bench`` database on that server (without a PostgreSQL
DATABASE_URL: a temporary SQLite file; pass a smaller ``--conversations`` there).

1. migrates, then loads one assistant's data fast (PostgreSQL ``COPY``; ``bulk_create`` on
   SQLite): 20,000 NLU examples over 200 intents, ``--conversations`` conversations of 10
   events each (three user messages) and one conversation of 2,000 events, about a third of the
   conversations tagged, a few reviewed, a few events flagged; then ``ANALYZE``;
2. fills the NLU inbox from the recorded events (``inbox_rebuild``, timed);
3. times requests through the API as a browser makes them (``APIClient``, a logged-in
   superuser; DRF, the serializers and pagination included; no network): each is sent once to
   warm up, then ``--repeat`` times; the median and the slowest are reported.

Targets: the conversation list with a filter 300 ms, the inbox 300 ms, a window of the
2,000-event conversation 500 ms (medians). Results: bench/results/studio.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

RESULTS = Path(__file__).resolve().parent / "results" / "studio.json"
BENCH_DB = "parley_studio_bench"
TARGETS_MS = {"conversations": 300.0, "inbox": 300.0, "window": 500.0}
SEED = 5
INTENTS = 200
EXAMPLES = 20_000
LONG_EVENTS = 2_000
CHUNK = 50_000

WORDS = [
    "please", "could", "you", "help", "me", "with", "my", "order", "account", "ticket",
    "today", "tomorrow", "again", "now", "book", "a", "table", "in", "for", "two",
    "cancel", "change", "where", "is", "the", "pizza", "refund", "price", "weather", "open",
]  # fmt: skip
CITIES = ["Berlin", "Paris", "Lagos", "Tokyo", "Delhi", "Cairo", "Lima", "Oslo"]
POLICIES = ["RulePolicy", "MemoizationPolicy", "TEDPolicy"]
CHANNELS = ["rest", "socketio", "telegram"]
TAGS = ["bug", "escalate", "good", "smalltalk", "handoff", "new-intent"]

# --------------------------------------------------------------------------- database


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextmanager
def throwaway_database(*, keep: bool = False) -> Iterator[str]:
    """Point DATABASE_URL at a fresh database (before Django starts) and remove it after
    (PostgreSQL: unless ``keep``, to look at query plans afterwards)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg2

        def run(statement: str) -> None:
            connection = psycopg2.connect(_with_database(url, "postgres"))
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
            if not keep:
                run(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    else:
        with tempfile.TemporaryDirectory(prefix="parley-studio-bench-") as tmp:
            os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            try:
                yield "sqlite"
            finally:
                from django.db import connections

                connections.close_all()


def _copy_value(value: Any, is_json: bool) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if is_json:
        value = json.dumps(value)
    elif isinstance(value, bool):
        return "t" if value else "f"
    elif isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def load_rows(model: Any, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert rows (dicts by attribute name, ids included) as fast as the database allows."""
    from django.db import connection
    from django.db.models import JSONField

    fields = list(model._meta.concrete_fields)
    json_fields = {f for f in fields if isinstance(f, JSONField)}
    total = 0
    batch: list[Mapping[str, Any]] = []

    def flush() -> None:
        if not batch:
            return
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            for row in batch:
                values = (_copy_value(row.get(f.attname), f in json_fields) for f in fields)
                buffer.write("\t".join(values) + "\n")
            buffer.seek(0)
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        else:
            model.objects.bulk_create([model(**row) for row in batch], batch_size=2000)
        batch.clear()

    for row in rows:
        batch.append(row)
        total += 1
        if len(batch) >= CHUNK:
            flush()
    flush()
    return total


def reset_sequences(*models: Any) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)


# --------------------------------------------------------------------------- generator


class Generator:
    """One assistant's examples, conversations and events, deterministic for a seed."""

    def __init__(self, assistant_id: int, conversations: int, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.assistant_id = assistant_id
        self.conversations = conversations
        self.start = datetime(2026, 1, 1, tzinfo=UTC)
        self.intents = [f"intent_{i:03d}" for i in range(INTENTS)]
        self.event_id = 0
        self.user_events = 0
        self.entity_rows: list[dict[str, Any]] = []
        self.tag_rows: list[dict[str, Any]] = []
        self.conversation_rows: list[dict[str, Any]] = []
        self.long_id = conversations + 1

    def text(self) -> str:
        # about 60,000 distinct messages: many repeat, as real traffic does
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(2, 4)))

    def _event(
        self, conversation_id: int, position: int, at: datetime, kind: str, **columns: Any
    ) -> dict[str, Any]:
        self.event_id += 1
        data: dict[str, Any] = {"event": kind, "timestamp": at.timestamp()}
        if kind == "user":
            data |= {
                "text": columns["text"],
                "parse_data": {
                    "intent": {
                        "name": columns["intent"],
                        "confidence": columns["intent_confidence"],
                    },
                    "entities": columns["entities"],
                    "intent_ranking": [
                        {"name": columns["intent"], "confidence": columns["intent_confidence"]}
                    ],
                },
                "input_channel": "rest",
            }
        elif kind == "action":
            data |= {"name": columns["action"], "policy": columns.get("policy")}
        elif kind == "slot":
            data |= {"name": columns["slot_name"], "value": columns["slot_value"]}
        return {
            "id": self.event_id,
            "assistant_id": self.assistant_id,
            "conversation_id": conversation_id,
            "position": position,
            "timestamp": at,
            "kind": kind,
            "intent": None,
            "intent_confidence": None,
            "action": None,
            "policy": None,
            "confidence": None,
            "entities": [],
            "slot_name": None,
            "slot_value": None,
            "text": None,
            "data": data,
            "flagged": self.rng.random() < 0.002,
        } | columns

    def _user(self, conversation_id: int, position: int, at: datetime) -> dict[str, Any]:
        self.user_events += 1
        text = self.text()
        entities = []
        if self.rng.random() < 0.3:
            city = self.rng.choice(CITIES)
            text = f"{text} in {city}"
            start = len(text) - len(city)
            entities = [{"entity": "city", "value": city, "start": start, "end": len(text)}]
        row = self._event(
            conversation_id,
            position,
            at,
            "user",
            text=text,
            intent=self.rng.choice(self.intents),
            intent_confidence=round(self.rng.random(), 3),
            entities=entities,
        )
        for entity in entities:
            self.entity_rows.append(
                {
                    "id": len(self.entity_rows) + 1,
                    "assistant_id": self.assistant_id,
                    "event_id": row["id"],
                    "entity": entity["entity"],
                    "value": entity["value"],
                    "role": None,
                    "group": None,
                }
            )
        return row

    def _action(self, conversation_id: int, position: int, at: datetime) -> dict[str, Any]:
        name = f"utter_reply_{self.rng.randrange(INTENTS):03d}"
        return self._event(
            conversation_id,
            position,
            at,
            "action",
            action=name,
            policy=self.rng.choice(POLICIES),
            confidence=round(self.rng.random(), 3),
        )

    def _turns(self, conversation_id: int, count: int, at: datetime) -> Iterator[dict[str, Any]]:
        """``count`` events: a session start, then user / slot / action / listen turns."""
        yield self._event(
            conversation_id, 0, at, "action", action="action_session_start", policy=None
        )
        yield self._event(conversation_id, 1, at, "session_started")
        position = 2
        while position < count:
            at += timedelta(seconds=self.rng.randint(2, 60))
            kind = position % 4
            if kind == 2:
                yield self._user(conversation_id, position, at)
            elif kind == 3 and self.rng.random() < 0.3:
                city = self.rng.choice(CITIES)
                yield self._event(
                    conversation_id, position, at, "slot", slot_name="city", slot_value=city
                )
            elif kind == 0:
                yield self._action(conversation_id, position, at)
            else:
                yield self._event(
                    conversation_id, position, at, "action", action="action_listen", policy=None
                )
            position += 1

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event; conversation rows and tag rows are collected on the way."""
        for conversation_id in range(1, self.conversations + 2):
            count = LONG_EVENTS if conversation_id == self.long_id else 10
            started = self.start + timedelta(seconds=self.rng.randint(0, 30 * 24 * 3600))
            last = started
            for row in self._turns(conversation_id, count, started):
                last = row["timestamp"]
                yield row
            self.conversation_rows.append(
                {
                    "id": conversation_id,
                    "created_at": started,
                    "updated_at": last,
                    "assistant_id": self.assistant_id,
                    "sender_id": f"sender-{conversation_id:07d}",
                    "channel": self.rng.choice(CHANNELS),
                    "started_at": started,
                    "latest_event_at": last,
                    "slots": {},
                    "active_loop": None,
                    "latest_action_name": "action_listen",
                    "paused": False,
                    "followup_action": None,
                    "model_id": "bench",
                    "event_count": count,
                    "session_position": 1,
                    "reviewed": self.rng.random() < 0.1,
                }
            )
            if self.rng.random() < 0.3:
                for name in self.rng.sample(TAGS, self.rng.randint(1, 2)):
                    self.tag_rows.append(
                        {
                            "id": len(self.tag_rows) + 1,
                            "created_at": last,
                            "updated_at": last,
                            "assistant_id": self.assistant_id,
                            "conversation_id": conversation_id,
                            "name": name,
                        }
                    )


def load(assistant: Any, conversations: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from annotation import models as m

    generator = Generator(assistant.pk, conversations)
    started = time.perf_counter()
    intents = m.Intent.objects.bulk_create(
        m.Intent(assistant=assistant, name=name, position=n)
        for n, name in enumerate(generator.intents)
    )
    blocks = m.IntentBlock.objects.bulk_create(
        m.IntentBlock(assistant=assistant, intent=intent, position=n)
        for n, intent in enumerate(intents)
    )
    m.Example.objects.bulk_create(
        (
            m.Example(
                assistant=assistant,
                intent=blocks[n % INTENTS].intent,
                block=blocks[n % INTENTS],
                text=f"{generator.text()} {n}",
                position=n,
            )
            for n in range(EXAMPLES)
        ),
        batch_size=5000,
    )
    # one transaction: the foreign keys are checked at its end (Django makes them deferrable),
    # so that the events stream in before the conversation rows they point at
    with transaction.atomic():
        event_count = load_rows(m.Event, generator.events())
        load_rows(m.Conversation, generator.conversation_rows)
        load_rows(m.EventEntity, generator.entity_rows)
        load_rows(m.ConversationTag, generator.tag_rows)
    reset_sequences(m.Conversation, m.Event, m.EventEntity, m.ConversationTag)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "load_s": round(time.perf_counter() - started, 1),
        "conversations": m.Conversation.objects.filter(assistant=assistant).count(),
        "events": event_count,
        "user_events": generator.user_events,
        "examples": EXAMPLES,
        "long_conversation": generator.long_id,
    }


# ------------------------------------------------------------------------------ timing


def time_get(client: Any, url: str, params: Mapping[str, Any], repeat: int) -> dict[str, Any]:
    response = client.get(url, params)  # warm-up
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    body = response.json()
    rows = body.get("results", body) if isinstance(body, dict) else body
    return {
        "url": url,
        "params": dict(params),
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "rows": len(rows),
        "count": body.get("count") if isinstance(body, dict) else None,
    }


def run_bench(*, conversations: int, repeat: int) -> dict[str, Any]:
    import logging

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.base")
    os.environ.setdefault("DEBUG", "1")
    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log while measuring, as in production
    logging.getLogger("django.db.backends").setLevel(logging.WARNING)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient

    from annotation import models as m
    from annotation.services.inbox import inbox_rebuild

    call_command("migrate", verbosity=0)
    assistant = m.Assistant.objects.create(name="studio-bench")
    data = load(assistant, conversations)
    start = time.perf_counter()
    inbox_items = inbox_rebuild(assistant=assistant)
    rebuild_s = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    user = get_user_model().objects.create_superuser("bench", password="bench-pass")
    client = APIClient()
    client.force_authenticate(user)
    base = f"/api/v1/assistants/{assistant.pk}/"
    long_id = data["long_conversation"]
    page = {"page_size": 50}
    measured = {
        "conversations": time_get(
            client, base + "conversations/", {**page, "intent": "intent_007"}, repeat
        ),
        "inbox": time_get(client, base + "inbox/", page, repeat),
        "window": time_get(
            client,
            base + f"conversations/{long_id}/events/",
            {"after": 999, "limit": 500},
            repeat,
        ),
    }
    # more, for reference (no target of their own)
    deep_page = min(100, max(1, conversations // 200))
    others: dict[str, tuple[str, dict[str, Any]]] = {
        "conversations_unfiltered": (base + "conversations/", page),
        "conversations_confidence_below": (
            base + "conversations/",
            {**page, "confidence_below": 0.01},
        ),
        "conversations_entity_tag": (
            base + "conversations/",
            {**page, "entity": "city", "tag": "bug"},
        ),
        "conversations_policy_deep_page": (
            base + "conversations/",
            {**page, "policy": "TEDPolicy", "page": deep_page},
        ),
        "conversations_flagged": (base + "conversations/", {**page, "flagged": "true"}),
        "conversations_reviewed": (base + "conversations/", {**page, "reviewed": "true"}),
        "conversations_q": (base + "conversations/", {**page, "q": "refund"}),
        "conversation_detail": (base + f"conversations/{long_id}/", {}),
        "window_first": (base + f"conversations/{long_id}/events/", {"limit": 500}),
        "inbox_by_time": (base + "inbox/", {**page, "order": "-time"}),
        "inbox_intent": (base + "inbox/", {**page, "intent": "intent_007"}),
        "inbox_q": (base + "inbox/", {**page, "q": "refund"}),
        "tags": (base + "tags/", {}),
    }
    reference = {name: time_get(client, url, p, repeat) for name, (url, p) in others.items()}
    if connection.vendor == "sqlite":
        import sqlite3

        version = sqlite3.sqlite_version
    else:
        number = connection.pg_version  # type: ignore[attr-defined]
        version = f"{number // 10000}.{number % 10000}"
    passed = all(measured[k]["median_ms"] <= TARGETS_MS[k] for k in TARGETS_MS)
    return {
        "database": f"{connection.vendor} {version}",
        **data,
        "inbox_items": inbox_items,
        "inbox_rebuild_s": round(rebuild_s, 1),
        "repeat": repeat,
        "targets_ms": TARGETS_MS,
        "measured": measured,
        "reference": reference,
        "passed": passed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--keep-database", action="store_true", help=f"keep PostgreSQL's {BENCH_DB} afterwards"
    )
    args = parser.parse_args(argv)
    with throwaway_database(keep=args.keep_database):
        result = run_bench(conversations=args.conversations, repeat=args.repeat)
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
