"""Staff roles as Django groups with exact permissions: the one place they are defined.

``User.is_moderator`` asks for ``accounts.moderate``; the moderation queues, the services and
the admin's actions all check permissions, never a role name. ``User.role`` is the label shown
to people; ``staff_role_set`` keeps it, the groups and ``is_staff`` in step.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import transaction

from peerlearn.common.errors import Forbidden, Invalid

from .models import User

MODERATORS = "Moderators"
ADMINISTRATORS = "Administrators"

# What a moderator may do and see: the queues, and the records a decision needs.
MODERATOR_PERMISSIONS = (
    "accounts.moderate",
    "accounts.view_user",
    "accounts.view_profile",
    "accounts.view_teachingsubject",
    "accounts.view_verificationrequest",
    "accounts.view_verificationdecision",
    "accounts.view_auditentry",
    "forum.view_thread",
    "forum.view_reply",
    "forum.view_flag",
    "forum.view_moderationaction",
    "reviews.view_review",
    "reviews.view_reviewreport",
    "messaging.view_messagereport",
)

# Administrators: everything in the project's apps and the account apps, but not the
# superuser-only switches (granting permissions to single users is done through the groups).
ADMINISTRATOR_APPS = (
    "accounts",
    "notifications",
    "scheduling",
    "live",
    "practice",
    "reviews",
    "gamification",
    "forum",
    "messaging",
    "matching",
    "matching_help",
    "matching_partners",
    "account",
    "mfa",
    "socialaccount",
    "usersessions",
    "django_tasks_database",
)
ADMINISTRATOR_EXTRA = ("auth.view_group",)

ROLE_GROUPS = {
    User.Role.LEARNER: (),
    User.Role.TUTOR: (),
    User.Role.MODERATOR: (MODERATORS,),
    User.Role.ADMIN: (ADMINISTRATORS, MODERATORS),
}


def require_moderator(actor: User | None, message: str = "Only moderators can do this.") -> None:
    """The one moderation permission check (``User.is_moderator``: ``accounts.moderate``),
    for the moderation queues' selectors and the services that carry out a decision: ``Forbidden``
    for anyone else. ``actor`` None is the system (commands, seeding), which may."""
    if actor is not None and not actor.is_moderator:
        raise Forbidden(message)


def _codename_pairs(names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(name.split(".")[0], name.split(".")[1]) for name in names]


def staff_groups_sync(apps: Any = global_apps) -> None:
    """Create the groups and give them exactly their permissions (a data migration and
    ``manage.py sync_staff_groups`` call this; re-running it is harmless)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, apps=apps)
    moderator_perms = [
        p
        for app_label, codename in _codename_pairs(MODERATOR_PERMISSIONS)
        for p in Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    ]
    admin_perms = list(
        Permission.objects.filter(content_type__app_label__in=ADMINISTRATOR_APPS)
    ) + [
        p
        for app_label, codename in _codename_pairs(ADMINISTRATOR_EXTRA)
        for p in Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    ]
    moderators, _ = Group.objects.get_or_create(name=MODERATORS)
    moderators.permissions.set(moderator_perms)
    administrators, _ = Group.objects.get_or_create(name=ADMINISTRATORS)
    administrators.permissions.set(admin_perms)
    User_ = apps.get_model("accounts", "User")
    for role, names in ROLE_GROUPS.items():
        groups = list(Group.objects.filter(name__in=names))
        for user in User_.objects.filter(role=role, groups__isnull=True):
            user.groups.add(*groups)
            if groups and not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])


def staff_role_set(*, actor: User | None, user: User, role: str) -> User:
    """Make ``user`` a learner, tutor, moderator or administrator: the label, the groups and
    access to the admin change together. ``actor`` None is the system (seeding, commands);
    otherwise only a superuser may grant or take staff roles."""
    from .audit import audit_record

    if role not in User.Role.values:
        raise Invalid("Unknown role.", code="invalid_role", field="role")
    if actor is not None and not actor.is_superuser:
        raise Forbidden("Only a superuser can change staff roles.")
    from django.contrib.auth.models import Group

    with transaction.atomic():
        staff_names = {MODERATORS, ADMINISTRATORS}
        user.groups.remove(*Group.objects.filter(name__in=staff_names))
        names = ROLE_GROUPS[User.Role(role)]
        missing = set(names) - set(
            Group.objects.filter(name__in=names).values_list("name", flat=True)
        )
        if missing:
            staff_groups_sync()
        user.groups.add(*Group.objects.filter(name__in=names))
        user.role = role
        user.is_staff = bool(names) or user.is_superuser
        user.save(update_fields=["role", "is_staff"])
        for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
            user.__dict__.pop(cache, None)
        if actor is not None:
            audit_record(actor=actor, action="accounts.role_set", target=user, data={"role": role})
    return user
