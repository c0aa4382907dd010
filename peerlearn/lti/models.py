"""What PeerLearn adds to django-lti's records (``lti_tool``: registrations, deployments, keys,
users, contexts, memberships, resource links).

- ``PlatformLink``: the institution a registered platform belongs to, and whether its email
  claims are trusted as verified.
- ``Course``: a platform's context (course) in PeerLearn: its members-only discussion category
  and what its instructors curate (subjects, practice topics, an introduction).
- ``Placement``: something an instructor placed in the LMS by deep linking (the course page, its
  discussion, a problem, a topic); a graded problem carries a gradebook line item.
- ``GradedLink`` / ``ScoreReport``: a learner's line item for a placed problem and every score
  sent to it (one row per judged submission: a score is sent at most once).
- ``UsedLaunchValue``: the nonce and state of every accepted launch (single use, enforced by the
  database).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from peerlearn.accounts.models import Institution, Subject
from peerlearn.forum.models import Category
from peerlearn.practice.models import PracticeTopic, Problem, Submission


class PlatformLink(models.Model):
    registration = models.OneToOneField(
        "lti_tool.LtiRegistration", on_delete=models.CASCADE, related_name="peerlearn"
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="lti_platforms"
    )
    trust_email = models.BooleanField(
        default=False,
        help_text="The platform verifies its users' email addresses: a launch's email claim "
        "links to an existing PeerLearn account with that address and counts as verified.",
    )

    def __str__(self) -> str:
        return f"{self.registration} → {self.institution}"


class Course(models.Model):
    context = models.OneToOneField(
        "lti_tool.LtiContext", on_delete=models.CASCADE, related_name="peerlearn_course"
    )
    title = models.CharField(max_length=200)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    category = models.OneToOneField(Category, on_delete=models.PROTECT, related_name="course")
    intro = models.TextField(max_length=2000, blank=True)
    subjects = models.ManyToManyField(Subject, blank=True, related_name="lti_courses")
    topics = models.ManyToManyField(PracticeTopic, blank=True, related_name="lti_courses")
    roster_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.title


class Placement(models.Model):
    class Kind(models.TextChoices):
        COURSE = "course", "Course tutoring page"
        CATEGORY = "category", "Course discussion"
        PROBLEM = "problem", "Practice problem"
        TOPIC = "topic", "Problem set (practice topic)"

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="placements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    topic = models.ForeignKey(
        PracticeTopic, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=200)
    graded = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="problem") | Q(problem__isnull=False),
                name="lti_problem_placement_has_problem",
            ),
            models.CheckConstraint(
                condition=~Q(kind="topic") | Q(topic__isnull=False),
                name="lti_topic_placement_has_topic",
            ),
            models.CheckConstraint(
                condition=Q(graded=False) | Q(kind="problem"), name="lti_only_problems_graded"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class GradedLink(models.Model):
    """A learner launched a graded problem placement: where their score goes."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    lti_user = models.ForeignKey("lti_tool.LtiUser", on_delete=models.CASCADE, related_name="+")
    lineitem_url = models.URLField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lineitem_url", "user"], name="lti_one_link_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.placement} · user {self.user_id}"


class ScoreReport(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    link = models.ForeignKey(GradedLink, on_delete=models.CASCADE, related_name="reports")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    score_given = models.FloatField()
    score_maximum = models.FloatField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "submission"], name="lti_one_report_each"),
        ]


class UsedLaunchValue(models.Model):
    class Kind(models.TextChoices):
        NONCE = "nonce", "Nonce"
        STATE = "state", "State"

    kind = models.CharField(max_length=5, choices=Kind.choices)
    value = models.CharField(max_length=255)
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="lti_launch_value_once"),
        ]
        indexes = [models.Index(fields=["used_at"])]
