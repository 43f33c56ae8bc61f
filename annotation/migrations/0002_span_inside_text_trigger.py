"""A span must lie inside its example's text. A check constraint cannot look at another table,
so a trigger guards it on SQLite and PostgreSQL alike (length() counts characters on both,
as Python's offsets do)."""

from django.db import migrations

SQLITE = [
    """
    CREATE TRIGGER annotation_span_inside_text_insert
    BEFORE INSERT ON annotation_entityspan
    WHEN NEW."end" > (SELECT length(text) FROM annotation_example WHERE id = NEW.example_id)
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: span_inside_text'); END;
    """,
    """
    CREATE TRIGGER annotation_span_inside_text_update
    BEFORE UPDATE ON annotation_entityspan
    WHEN NEW."end" > (SELECT length(text) FROM annotation_example WHERE id = NEW.example_id)
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: span_inside_text'); END;
    """,
    """
    CREATE TRIGGER annotation_example_text_keeps_spans
    BEFORE UPDATE OF text ON annotation_example
    WHEN EXISTS (SELECT 1 FROM annotation_entityspan
                 WHERE example_id = NEW.id AND "end" > length(NEW.text))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: span_inside_text'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS annotation_span_inside_text_insert;",
    "DROP TRIGGER IF EXISTS annotation_span_inside_text_update;",
    "DROP TRIGGER IF EXISTS annotation_example_text_keeps_spans;",
]

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION annotation_span_inside_text() RETURNS trigger AS $$
    BEGIN
      IF NEW."end" > (SELECT length(text) FROM annotation_example WHERE id = NEW.example_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
          MESSAGE = 'span_inside_text: entity span ends past the example text';
      END IF;
      RETURN NEW;
    END; $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER annotation_span_inside_text
    BEFORE INSERT OR UPDATE ON annotation_entityspan
    FOR EACH ROW EXECUTE FUNCTION annotation_span_inside_text();
    """,
    """
    CREATE OR REPLACE FUNCTION annotation_example_text_keeps_spans() RETURNS trigger AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM annotation_entityspan
                 WHERE example_id = NEW.id AND "end" > length(NEW.text)) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
          MESSAGE = 'span_inside_text: the new text is shorter than an entity span';
      END IF;
      RETURN NEW;
    END; $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER annotation_example_text_keeps_spans
    BEFORE UPDATE OF text ON annotation_example
    FOR EACH ROW EXECUTE FUNCTION annotation_example_text_keeps_spans();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS annotation_span_inside_text ON annotation_entityspan;",
    "DROP FUNCTION IF EXISTS annotation_span_inside_text();",
    "DROP TRIGGER IF EXISTS annotation_example_text_keeps_spans ON annotation_example;",
    "DROP FUNCTION IF EXISTS annotation_example_text_keeps_spans();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("annotation", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
