"""On PostgreSQL, the database itself forbids two overlapping active time claims of one user.

SQLite has no exclusion constraints; there the booking services serialize their write
transactions (BEGIN IMMEDIATE) and re-check overlap inside them (peerlearn/scheduling/services.py).
"""

from __future__ import annotations

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CREATE = """
ALTER TABLE scheduling_timeclaim ADD CONSTRAINT timeclaim_no_overlap
EXCLUDE USING gist (user_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
WHERE (active)
"""
DROP = "ALTER TABLE scheduling_timeclaim DROP CONSTRAINT IF EXISTS timeclaim_no_overlap"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(forwards, backwards),
    ]
