"""Model instances from the rows of a plain statement, for the statements every message runs.

``Model.objects.raw`` works out on every query which column feeds which field and which
converters each needs (2-3% of the REST webhook's CPU under load, py-spy); here that is worked
out once per model and database vendor. The statement selects ``model_columns(model, table
alias)`` first, then any extra columns, which come back beside the instance.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

from annotation import prepared

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


def model_columns(model: type[Model], alias: str) -> str:
    """The model's columns, in the order ``fetch_instances`` reads them: ``alias."col", ...``."""
    return _columns(model, alias, connection.vendor)


@functools.cache
def _columns(model: type[Model], alias: str, vendor: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(field.column))}" for field in model._meta.concrete_fields)


def fetch_instances(
    model: type[M], sql: str, params: Sequence[Any]
) -> list[tuple[M, tuple[Any, ...]]]:
    """Run ``sql`` (its columns: ``model_columns`` then extras; prepared on PostgreSQL); each
    row as an instance and the extra columns' values."""
    names, converters = _plan(model, connection.vendor)
    width = len(names)
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        values = list(row[:width])
        for index, expression, functions in converters:
            value = values[index]
            for convert in functions:
                value = convert(value, expression, connection)
            values[index] = value
        found.append((model.from_db(connection.alias, names, values), tuple(row[width:])))
    return found


@functools.cache
def _plan(
    model: type[Model], vendor: str
) -> tuple[list[str], list[tuple[int, Any, list[Converter]]]]:
    """The fields' attribute names, and for each column that needs them its converters (the
    backend's, then the field's ``from_db_value``), as Django's compiler would apply them."""
    names: list[str] = []
    converters: list[tuple[int, Any, list[Converter]]] = []
    for index, field in enumerate(model._meta.concrete_fields):
        names.append(field.attname)
        expression = field.get_col(model._meta.db_table)
        functions = [
            *connection.ops.get_db_converters(expression),
            *expression.get_db_converters(connection),
        ]
        if functions:
            converters.append((index, expression, functions))
    return names, converters
