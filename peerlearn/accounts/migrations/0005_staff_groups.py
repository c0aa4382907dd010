"""The Moderators and Administrators groups with their exact permissions (accounts.roles);
existing moderators and admins (by role) join them."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    from peerlearn.accounts.roles import staff_groups_sync

    staff_groups_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_staff_audit_suspension_export"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("notifications", "0003_preferences_and_digest"),
        ("scheduling", "0002_no_overlapping_claims"),
        ("live", "0004_room_chat_tail"),
        ("practice", "0001_initial"),
        ("reviews", "0002_tutor_rating_total"),
        ("gamification", "0001_initial"),
        ("forum", "0003_thread_list_orders"),
        ("messaging", "0001_initial"),
        ("matching", "0004_tutordocument_recent_index"),
        ("matching_help", "0001_initial"),
        ("matching_partners", "0001_initial"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("mfa", "0003_authenticator_type_uniq"),
        ("socialaccount", "0006_alter_socialaccount_extra_data"),
        ("usersessions", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
