"""The admin site: Django's, with a landing page that says what needs attention now.

Installed as ``config.adminsite.PeerLearnAdminConfig`` in place of ``django.contrib.admin``,
so ``admin.site`` is a ``PeerLearnAdminSite`` everywhere. It is in ``config`` with the URLs and
the API: its landing page reads the queues of every app (docs/architecture.md). The models are
imported inside the functions because Django imports this module (an app config) before any
model is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from peerlearn.common.errors import ServiceError

# A help request nobody accepted for this long, a task that failed this recently: look at it.
HELP_UNANSWERED_AFTER = timedelta(minutes=30)
FAILED_TASKS_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Item:
    label: str
    count: int
    url: str
    admin_url: str = ""


def _queues(request: HttpRequest) -> list[Item]:
    from peerlearn.accounts.models import VerificationRequest
    from peerlearn.forum.models import Flag
    from peerlearn.messaging.models import MessageReport
    from peerlearn.reviews.models import ReviewReport

    if not request.user.has_perm("accounts.moderate"):
        return []
    pending = VerificationRequest.Status.PENDING
    return [
        Item(
            "Verification requests",
            VerificationRequest.objects.filter(status=pending).count(),
            reverse("accounts:verification_queue"),
            reverse("admin:accounts_verificationrequest_changelist") + f"?status__exact={pending}",
        ),
        Item(
            "Forum flags",
            Flag.objects.filter(resolved_at__isnull=True).count(),
            reverse("forum:moderation"),
            reverse("admin:forum_flag_changelist") + "?resolved_at__isnull=True",
        ),
        Item(
            "Review reports",
            ReviewReport.objects.filter(resolved_at__isnull=True).count(),
            reverse("reviews:moderation"),
            reverse("admin:reviews_reviewreport_changelist") + "?resolved_at__isnull=True",
        ),
        Item(
            "Message reports",
            MessageReport.objects.filter(resolved_at__isnull=True).count(),
            reverse("messaging:moderation"),
            reverse("admin:messaging_messagereport_changelist") + "?resolved_at__isnull=True",
        ),
    ]


def _attention(request: HttpRequest) -> list[Item]:
    from django_tasks_db.models import DBTaskResult

    from peerlearn.accounts.models import User
    from peerlearn.matching.help.models import HelpRequest
    from peerlearn.practice.models import Submission
    from peerlearn.practice.services import STALE_AFTER_SECONDS

    user = request.user
    now = timezone.now()
    items: list[Item] = []
    if user.has_perm("practice.view_submission"):
        stuck = Submission.objects.filter(
            status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING],
            created_at__lt=now - timedelta(seconds=STALE_AFTER_SECONDS),
        )
        url = reverse("admin:practice_submission_changelist")
        items.append(Item("Stuck submissions", stuck.count(), url, url + "?status__exact=running"))
    if user.has_perm("matching_help.view_helprequest"):
        waiting = HelpRequest.objects.filter(
            status=HelpRequest.Status.OPEN, created_at__lt=now - HELP_UNANSWERED_AFTER
        )
        url = reverse("admin:matching_help_helprequest_changelist") + "?status__exact=open"
        items.append(Item("Help requests unanswered for 30 min", waiting.count(), url))
    if user.has_perm("django_tasks_database.view_dbtaskresult"):
        failed = DBTaskResult.objects.filter(
            status="FAILED", finished_at__gte=now - FAILED_TASKS_WINDOW
        )
        url = reverse("admin:django_tasks_database_dbtaskresult_changelist")
        items.append(Item("Tasks failed in the last 24 h", failed.count(), url))
    if user.has_perm("accounts.view_user"):
        url = reverse("admin:accounts_user_changelist")
        suspended = User.objects.filter(suspended_at__isnull=False).count()
        items.append(Item("Suspended accounts", suspended, url + "?suspended=yes"))
        leaving = User.objects.filter(deletion_due_at__isnull=False, deleted_at__isnull=True)
        items.append(Item("Accounts waiting to be deleted", leaving.count(), url))
    return items


class PeerLearnAdminSite(admin.AdminSite):
    site_header = "PeerLearn administration"
    site_title = "PeerLearn admin"
    index_title = "What needs attention"
    index_template = "admin/peerlearn_index.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = {
            "queues": _queues(request),
            "attention": _attention(request),
            "can_retrain": request.user.has_perm("matching.add_rankerversion"),
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        extra = [
            path(
                "retrain-ranker/",
                self.admin_view(require_POST(self.retrain_ranker)),
                name="retrain_ranker",
            )
        ]
        return extra + super().get_urls()

    def retrain_ranker(self, request: HttpRequest) -> HttpResponse:
        from peerlearn.accounts.models import User
        from peerlearn.matching.staff import ranker_retrain

        actor = request.user
        assert isinstance(actor, User)
        try:
            ranker_retrain(actor=actor, reason=request.POST.get("reason", ""))
        except ServiceError as exc:
            raise PermissionDenied(exc.message) from exc
        messages.success(request, "Retraining the ranker: a new version appears when it is done.")
        return HttpResponseRedirect(reverse("admin:index"))


class PeerLearnAdminConfig(AdminConfig):
    default_site = "config.adminsite.PeerLearnAdminSite"
