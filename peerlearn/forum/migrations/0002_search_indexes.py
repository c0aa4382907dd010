"""GIN indexes on the full-text search vectors, on PostgreSQL only (SQLite searches with
``icontains`` and has no GIN)."""

from __future__ import annotations

from django.db import migrations

INDEXES = [
    ("forum_thread_search_gin", "forum_thread"),
    ("forum_reply_search_gin", "forum_reply"),
]


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_vector)"
        )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("forum", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
