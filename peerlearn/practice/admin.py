"""Practice in the admin. Problems come from the problem bank (``manage.py import_problems``
renders statements and checks tests), so they are records here; verdicts change only by a
re-judge through ``practice.staff``. Topics are a plain catalogue."""

from __future__ import annotations

from django.contrib import admin

from peerlearn.accounts.adminkit import BaseAdmin, RecordAdmin, service_action

from . import staff
from .models import (
    Draft,
    PracticeSession,
    PracticeTopic,
    Problem,
    ProblemTestSet,
    Solve,
    Submission,
)


@admin.register(PracticeTopic)
class PracticeTopicAdmin(BaseAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Problem)
class ProblemAdmin(RecordAdmin):
    list_display = ["title", "slug", "difficulty", "kind", "is_published", "hidden_test_count"]
    list_filter = ["difficulty", "kind", "is_published", "topics"]
    search_fields = ["title", "slug"]
    date_hierarchy = "created_at"
    exclude = ["statement_html", "constraints_html", "editorial_html"]


@admin.register(ProblemTestSet)
class ProblemTestSetAdmin(RecordAdmin):
    list_display = ["problem"]
    search_fields = ["problem__title", "problem__slug"]
    list_select_related = ["problem"]


@admin.register(Draft)
class DraftAdmin(RecordAdmin):
    list_display = ["user", "problem", "language", "updated_at"]
    list_filter = ["language"]
    search_fields = ["user__email", "problem__slug"]
    list_select_related = ["user", "problem"]
    date_hierarchy = "updated_at"


@admin.register(PracticeSession)
class PracticeSessionAdmin(RecordAdmin):
    list_display = ["uid", "problem", "host", "guest", "visibility", "status", "created_at"]
    list_filter = ["status", "visibility"]
    search_fields = ["=uid", "host__email", "guest__email", "problem__slug"]
    list_select_related = ["problem", "host", "guest"]
    date_hierarchy = "created_at"
    exclude = ["password_hash"]


@admin.register(Submission)
class SubmissionAdmin(RecordAdmin):
    list_display = [
        "id",
        "user",
        "problem",
        "language",
        "mode",
        "status",
        "verdict",
        "passed",
        "total",
        "created_at",
    ]
    list_filter = ["status", "verdict", "mode", "language"]
    search_fields = ["=id", "user__email", "problem__slug"]
    list_select_related = ["user", "problem"]
    date_hierarchy = "created_at"
    actions = [
        service_action(
            name="rejudge",
            description="Re-judge",
            permission="operate",
            apply=lambda actor, submission, reason: staff.submission_rejudge(
                actor=actor, submission_id=submission.pk, reason=reason
            ),
        )
    ]


@admin.register(Solve)
class SolveAdmin(RecordAdmin):
    list_display = ["user", "problem", "submission_id", "solved_at"]
    search_fields = ["user__email", "problem__slug"]
    list_select_related = ["user", "problem"]
    date_hierarchy = "solved_at"
