"""Discussions: categories (by area, course or institution), threads, replies, votes, tags,
subscriptions, flags, edit history and moderation records.

The database enforces the invariants: one vote per person per post, a vote is +1 or -1 and
targets exactly one post, one subscription per person and target, one flag per person and post.
Who may see what is decided in ``selectors`` (``visible_categories``); the rules of writing in
``services``. ``score`` and ``reply_count`` are kept by the services inside the transaction
that changes what they count.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from peerlearn.accounts.models import Institution, Subject

TITLE_MAX = 160
BODY_MAX = 20_000
REASON_MAX = 500
TAGS_MAX = 5


class Category(models.Model):
    class Kind(models.TextChoices):
        GENERAL = "general", "General"
        AREA = "area", "Area"
        COURSE = "course", "Course"
        INSTITUTION = "institution", "Institution"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.GENERAL)
    description = models.CharField(max_length=300, blank=True)
    subject = models.ForeignKey(
        Subject, null=True, blank=True, on_delete=models.SET_NULL, related_name="forum_categories"
    )
    institution = models.ForeignKey(
        Institution,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="forum_categories",
    )
    # Only members of ``institution`` (profile.institution) see it and its threads.
    members_only = models.BooleanField(default=False)
    # Narrower still: only the people listed in ``CategoryMember`` (a course's roster, kept by
    # the LTI app) see it; always members_only too.
    roster_only = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(members_only=False) | Q(institution__isnull=False),
                name="forum_members_only_needs_institution",
            ),
            models.CheckConstraint(
                condition=Q(roster_only=False) | Q(members_only=True),
                name="forum_roster_only_is_members_only",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryMember(models.Model):
    """Someone on the roster of a roster-only category (a course's discussion)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_memberships"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "user"], name="forum_one_member_row"),
        ]


class Tag(models.Model):
    name = models.SlugField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    VISIBLE = "visible", "Visible"
    HIDDEN = "hidden", "Hidden by a moderator"
    DELETED = "deleted", "Removed by a moderator"


class Post(models.Model):
    """What threads and replies share: an author, markdown and its sanitized HTML, a score,
    and the moderation state with its reason (shown to the author)."""

    body = models.TextField(max_length=BODY_MAX)
    html = models.TextField()
    score = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.VISIBLE)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderation_reason = models.CharField(max_length=REASON_MAX, blank=True)
    # Kept by the services on PostgreSQL (title weight A, body B); unused on SQLite.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class Thread(Post):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="threads")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_threads"
    )
    title = models.CharField(max_length=TITLE_MAX)
    tags = models.ManyToManyField(Tag, blank=True, related_name="threads")
    last_activity_at = models.DateTimeField(default=timezone.now)
    reply_count = models.PositiveIntegerField(default=0)
    accepted_reply = models.ForeignKey(
        "Reply", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pinned = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Each list order in full (ties broken by id), so a category page reads 20 rows in
            # order instead of sorting every thread that shares a timestamp or a score.
            models.Index(
                fields=["category", "-pinned", "-last_activity_at", "-id"],
                name="forum_thread_activity_id",
            ),
            models.Index(
                fields=["category", "-pinned", "-score", "-last_activity_at", "-id"],
                name="forum_thread_votes_id",
            ),
            models.Index(
                fields=["category", "-pinned", "-created_at", "-id"], name="forum_thread_new"
            ),
            models.Index(fields=["-last_activity_at"], name="forum_thread_recent"),
            models.Index(  # the discussions index's "recent" list, across categories
                fields=["-pinned", "-last_activity_at", "-id"], name="forum_thread_all_activity"
            ),
            models.Index(fields=["author", "-created_at"], name="forum_thread_author"),
        ]

    def __str__(self) -> str:
        return self.title


class Reply(Post):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_replies"
    )

    class Meta:
        verbose_name_plural = "replies"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at"], name="forum_reply_thread")]

    def __str__(self) -> str:
        return f"Reply {self.pk} to {self.thread_id}"


def _one_target() -> Q:
    return Q(thread__isnull=False, reply__isnull=True) | Q(thread__isnull=True, reply__isnull=False)


class Vote(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_votes"
    )
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="votes"
    )
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="votes"
    )
    value = models.SmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_one_target(), name="forum_vote_one_target"),
            models.CheckConstraint(condition=Q(value__in=[-1, 1]), name="forum_vote_value"),
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=Q(thread__isnull=False),
                name="forum_one_vote_per_thread",
            ),
            models.UniqueConstraint(
                fields=["user", "reply"],
                condition=Q(reply__isnull=False),
                name="forum_one_vote_per_reply",
            ),
        ]


class Subscription(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_subscriptions"
    )
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(thread__isnull=False, category__isnull=True)
                | Q(thread__isnull=True, category__isnull=False),
                name="forum_subscription_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=Q(thread__isnull=False),
                name="forum_one_thread_subscription",
            ),
            models.UniqueConstraint(
                fields=["user", "category"],
                condition=Q(category__isnull=False),
                name="forum_one_category_subscription",
            ),
        ]


class Flag(models.Model):
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_flags"
    )
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reason = models.CharField(max_length=REASON_MAX)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=_one_target(), name="forum_flag_one_target"),
            models.UniqueConstraint(
                fields=["reporter", "thread"],
                condition=Q(thread__isnull=False),
                name="forum_one_flag_per_thread",
            ),
            models.UniqueConstraint(
                fields=["reporter", "reply"],
                condition=Q(reply__isnull=False),
                name="forum_one_flag_per_reply",
            ),
        ]


class PostEdit(models.Model):
    """The version a post had before an edit (title only for threads)."""

    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="edits"
    )
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="edits"
    )
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=TITLE_MAX, blank=True)
    body = models.TextField()
    html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=_one_target(), name="forum_edit_one_target")
        ]


class ModerationAction(models.Model):
    class Action(models.TextChoices):
        HIDE = "hide", "Hidden"
        UNHIDE = "unhide", "Shown again"
        DELETE = "delete", "Removed"
        LOCK = "lock", "Locked"
        UNLOCK = "unlock", "Unlocked"
        PIN = "pin", "Pinned"
        UNPIN = "unpin", "Unpinned"
        MOVE = "move", "Moved"
        DISMISS = "dismiss", "Flags dismissed"

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=8, choices=Action.choices)
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="moderation_log"
    )
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="moderation_log"
    )
    reason = models.CharField(max_length=REASON_MAX)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
