"""The assistant a ``/bots/<assistant>/`` URL names: by name, or by id when no name matches."""

from __future__ import annotations

from django.db import connection

from annotation.models import Assistant
from annotation.plain_rows import fetch_instances, model_columns


def bot_assistant(key: str) -> Assistant | None:
    # one plain statement: every message of the REST channel looks its assistant up
    quote = connection.ops.quote_name
    table = quote(Assistant._meta.db_table)
    if key.isdigit():
        where, params = f"{quote('name')} = %s OR {quote('id')} = %s", [key, int(key)]
    else:
        where, params = f"{quote('name')} = %s", [key]
    rows = fetch_instances(
        Assistant, f"SELECT {model_columns(Assistant, table)} FROM {table} WHERE {where}", params
    )
    found = sorted((assistant for assistant, _ in rows), key=lambda a: a.name != key)
    return found[0] if found else None  # the name first
