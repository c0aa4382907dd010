"""On PostgreSQL, an index for the admin's search by the start of an address: Django's
``email__istartswith`` is ``UPPER(email::text) LIKE UPPER('lee@%')``, which only an index on that
expression with ``text_pattern_ops`` serves (the unique index on LOWER(email) does not). Built
CONCURRENTLY: a big users table keeps taking writes meanwhile."""

from __future__ import annotations

from django.db import migrations

CREATE = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS user_email_upper_prefix "
    "ON accounts_user (UPPER(email::text) text_pattern_ops)"
)
DROP = "DROP INDEX CONCURRENTLY IF EXISTS user_email_upper_prefix"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("accounts", "0005_staff_groups")]

    operations = [migrations.RunPython(forwards, backwards)]
