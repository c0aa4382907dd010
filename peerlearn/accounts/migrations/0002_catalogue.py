"""Load the subject catalogue and the institutions from ``peerlearn/accounts/data``."""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from peerlearn.accounts.catalogue import load_catalogue


def load(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    load_catalogue(apps)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
