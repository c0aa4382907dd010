"""Accounts in the admin: people (suspension, staff roles), the catalogue, verification, the
audit log and data exports. See ``adminkit`` for what may be edited here and what may not."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from . import lifecycle, roles, services
from .adminkit import BaseAdmin, RecordAdmin, RecordInline, service_action
from .models import (
    AuditEntry,
    AvailabilityException,
    AvailabilityWindow,
    DataExport,
    DocumentAccessLog,
    Institution,
    InstitutionDomain,
    LearningSubject,
    Profile,
    Subject,
    TeachingSubject,
    User,
    VerificationDecision,
    VerificationRequest,
)

# Deleting rows by hand would orphan or cascade through other people's records: deletion is
# the account service's job (anonymisation), and catalogue rows are protected by their FKs.
admin.site.disable_action("delete_selected")


class ProfileInline(RecordInline):
    model = Profile
    fields = ["display_name", "institution", "programme", "year_of_study", "timezone", "city"]


class TeachingSubjectInline(RecordInline):
    model = TeachingSubject
    fields = ["subject", "proficiency", "evidence", "verified_at"]


class LearningSubjectInline(RecordInline):
    model = LearningSubject
    fields = ["subject", "level", "created_at"]


class SuspendedFilter(admin.SimpleListFilter):
    title = "suspension"
    parameter_name = "suspended"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Suspended"), ("no", "Not suspended")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(suspended_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(suspended_at__isnull=True)
        return queryset


def _role_action(role: str, label: str) -> Any:
    return service_action(
        name=f"make_{role}",
        description=f"Make {label}",
        permission="superuser",
        reason=False,
        apply=lambda actor, user, reason: roles.staff_role_set(actor=actor, user=user, role=role),
    )


@admin.register(User)
class UserAdmin(RecordAdmin):
    list_display = [
        "email",
        "display_name_column",
        "role",
        "is_active",
        "suspended_at",
        "deletion_due_at",
        "date_joined",
        "last_login",
    ]
    list_filter = ["role", "is_active", SuspendedFilter, "is_staff", "groups", "date_joined"]
    search_fields = ["email", "profile__display_name"]
    search_help_text = "An address (or its start, with @) or a name."
    list_select_related = ["profile"]
    # Newest first by the primary key's index. No date hierarchy here: its year list is a scan
    # of the whole table (the date filter above costs nothing); docs/performance.md, "Admin".
    ordering = ["-pk"]
    fields = [
        "email",
        "role",
        "groups",
        "is_active",
        "is_staff",
        "is_superuser",
        "suspended_at",
        "suspension_reason",
        "deletion_due_at",
        "deleted_at",
        "date_joined",
        "last_login",
    ]
    inlines = [ProfileInline, TeachingSubjectInline, LearningSubjectInline]
    actions = [
        service_action(
            name="suspend",
            description="Suspend",
            permission="suspend",
            apply=lambda actor, user, reason: lifecycle.user_suspend(
                actor=actor, user_id=user.pk, reason=reason
            ),
        ),
        service_action(
            name="unsuspend",
            description="Lift suspension",
            permission="suspend",
            apply=lambda actor, user, reason: lifecycle.user_unsuspend(
                actor=actor, user_id=user.pk, reason=reason
            ),
        ),
        _role_action(User.Role.MODERATOR, "moderator"),
        _role_action(User.Role.ADMIN, "administrator"),
        _role_action(User.Role.LEARNER, "learner (no staff role)"),
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """A term with "@" is the start of an address: matched through the index on the upper-
        cased email (100,000 people: one index range, not a scan of every row and profile)."""
        term = search_term.strip()
        if "@" in term and " " not in term:
            return queryset.filter(email__istartswith=term), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="Name", ordering="profile__display_name")
    def display_name_column(self, user: User) -> str:
        profile = getattr(user, "profile", None)
        return profile.display_name if profile is not None else ""

    def has_superuser_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)


class InstitutionDomainInline(admin.TabularInline):
    model = InstitutionDomain
    extra = 1


@admin.register(Institution)
class InstitutionAdmin(BaseAdmin):
    list_display = ["name", "slug", "country", "city", "website"]
    list_filter = ["country"]
    search_fields = ["name", "slug", "domains__domain"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [InstitutionDomainInline]


@admin.register(InstitutionDomain)
class InstitutionDomainAdmin(BaseAdmin):
    list_display = ["domain", "institution"]
    search_fields = ["domain", "institution__name"]
    list_select_related = ["institution"]
    autocomplete_fields = ["institution"]


@admin.register(Subject)
class SubjectAdmin(BaseAdmin):
    """The catalogue. Renaming a subject changes tutors' search text: rebuild their documents
    (``manage.py rebuild_tutor_documents``) afterwards."""

    list_display = ["name", "kind", "parent", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "parent__name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Profile)
class ProfileAdmin(RecordAdmin):
    list_display = ["display_name", "user", "institution", "programme", "timezone", "updated_at"]
    list_filter = ["institution"]
    search_fields = ["display_name", "user__email", "city"]
    list_select_related = ["user", "institution"]
    date_hierarchy = "updated_at"
    exclude = ["latitude", "longitude"]  # precise location is never shown, not even to staff


@admin.register(LearningSubject)
class LearningSubjectAdmin(RecordAdmin):
    list_display = ["user", "subject", "level", "created_at"]
    list_filter = ["level"]
    search_fields = ["user__email", "subject__name"]
    list_select_related = ["user", "subject"]
    date_hierarchy = "created_at"


@admin.register(TeachingSubject)
class TeachingSubjectAdmin(RecordAdmin):
    list_display = ["user", "subject", "proficiency", "verified_at", "created_at"]
    list_filter = ["proficiency", ("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "subject__name"]
    list_select_related = ["user", "subject"]
    date_hierarchy = "created_at"


@admin.register(AvailabilityWindow)
class AvailabilityWindowAdmin(RecordAdmin):
    list_display = ["user", "weekday", "start_time", "end_time"]
    list_filter = ["weekday"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(RecordAdmin):
    list_display = ["user", "date", "kind", "start_time", "end_time", "note"]
    list_filter = ["kind"]
    search_fields = ["user__email", "note"]
    list_select_related = ["user"]
    date_hierarchy = "date"


class VerificationDecisionInline(RecordInline):
    model = VerificationDecision
    fields = ["decision", "moderator", "reason", "decided_at"]


def _decide(approve: bool) -> Any:
    return lambda actor, request, reason: services.verification_decide(
        actor=actor, request_id=request.pk, approve=approve, reason=reason
    )


@admin.register(VerificationRequest)
class VerificationRequestAdmin(RecordAdmin):
    list_display = ["id", "tutor", "subject", "status", "original_name", "submitted_at"]
    list_filter = ["status"]
    search_fields = ["teaching_subject__user__email", "teaching_subject__subject__name"]
    list_select_related = ["teaching_subject__user", "teaching_subject__subject"]
    date_hierarchy = "submitted_at"
    exclude = ["document"]  # opened only through the logged, permission-checked view
    readonly_fields = ["evidence"]
    inlines = [VerificationDecisionInline]
    actions = [
        service_action(
            name="approve", description="Approve", permission="moderate", apply=_decide(True)
        ),
        service_action(
            name="reject", description="Reject", permission="moderate", apply=_decide(False)
        ),
    ]

    @admin.display(description="Evidence")
    def evidence(self, obj: VerificationRequest) -> str:
        url = reverse("accounts:verification_document", args=[obj.pk])
        return format_html('<a href="{}">{}</a> (download, logged)', url, obj.original_name)

    @admin.display(ordering="teaching_subject__user__email")
    def tutor(self, obj: VerificationRequest) -> str:
        return obj.teaching_subject.user.email

    @admin.display(ordering="teaching_subject__subject__name")
    def subject(self, obj: VerificationRequest) -> str:
        return obj.teaching_subject.subject.name


@admin.register(VerificationDecision)
class VerificationDecisionAdmin(RecordAdmin):
    list_display = ["request_id", "decision", "moderator", "decided_at"]
    list_filter = ["decision"]
    search_fields = ["moderator__email", "reason"]
    list_select_related = ["moderator"]
    date_hierarchy = "decided_at"


@admin.register(DocumentAccessLog)
class DocumentAccessLogAdmin(RecordAdmin):
    list_display = ["request_id", "user", "accessed_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "accessed_at"


@admin.register(AuditEntry)
class AuditEntryAdmin(RecordAdmin):
    """The one audit view: every staff action, wherever it was taken."""

    list_display = ["created_at", "actor", "action", "target_type", "target_repr", "reason"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_repr", "target_id", "actor__email", "reason"]
    list_select_related = ["actor", "target_type"]
    date_hierarchy = "created_at"


@admin.register(DataExport)
class DataExportAdmin(RecordAdmin):
    list_display = ["user", "status", "size", "created_at", "ready_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    exclude = ["archive"]
