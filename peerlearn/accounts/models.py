"""Users, profiles, institutions, the subject catalogue, availability and tutor verification."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


def private_storage() -> Any:
    return storages["private"]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True, role=User.Role.ADMIN)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """An account. One account can both learn and teach; ``role`` adds what else it may do."""

    class Role(models.TextChoices):
        LEARNER = "learner", "Learner"
        TUTOR = "tutor", "Tutor"
        MODERATOR = "moderator", "Moderator"
        ADMIN = "admin", "Admin"

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.LEARNER)
    # Suspension (accounts.lifecycle): a suspended account is inactive and says why.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(max_length=1000, blank=True)
    # Raised to end every session and token of the account at once (suspension, deletion).
    auth_epoch = models.PositiveIntegerField(default=0)
    # Self-service deletion: scheduled for ``deletion_due_at`` (undo until then), done at
    # ``deleted_at`` (the row stays, anonymised, so others' records keep their counterpart).
    deletion_due_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        indexes = [
            models.Index(
                fields=["deletion_due_at"],
                condition=Q(deletion_due_at__isnull=False),
                name="user_deletion_due",
            )
        ]
        permissions = [
            ("moderate", "Can moderate: verification, flags, review and message reports"),
            ("suspend_user", "Can suspend and unsuspend accounts"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_moderator(self) -> bool:
        """The one definition of a moderator: holds ``accounts.moderate`` (through the
        Moderators or Administrators group, see ``accounts.roles``) on an active account.
        Staff roles are granted by ``roles.staff_role_set``, which sets the role label with the
        groups: checking the label first spares every learner's request the permission query."""
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        staff = self.role in {self.Role.MODERATOR, self.Role.ADMIN}
        return staff and self.has_perm("accounts.moderate")

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Sessions and JWTs are bound to this hash: raising ``auth_epoch`` ends them all.
        from django.utils.crypto import salted_hmac

        if not self.auth_epoch:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        key_salt = "peerlearn.accounts.User.get_session_auth_hash"
        value = f"{self.password}:{self.auth_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def display_name(self) -> str:
        profile = getattr(self, "profile", None)
        return display_name(self.pk, profile.display_name if profile is not None else None)


def display_name(user_id: int, profile_display_name: str | None) -> str:
    """How a person is shown to others: their profile's name, else "Member <id>"."""
    # Never derived from the email address: that must not leak to other people.
    return profile_display_name or f"Member {user_id}"


class Institution(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    country = models.CharField(max_length=80, blank=True)
    city = models.CharField(max_length=80, blank=True)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InstitutionDomain(models.Model):
    """An email domain owned by an institution: a verified address on it makes a member."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=190, unique=True)

    def __str__(self) -> str:
        return self.domain


class Subject(models.Model):
    """One node of the catalogue tree: area → subject → topic."""

    class Kind(models.TextChoices):
        AREA = "area", "Area"
        SUBJECT = "subject", "Subject"
        TOPIC = "topic", "Topic"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="subject_unique_name_in_parent"
            ),
            models.CheckConstraint(
                condition=Q(kind="area", parent__isnull=True) | Q(parent__isnull=False),
                name="subject_only_areas_are_roots",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"
    EXPERT = "expert", "Expert"


class LearningStyle(models.TextChoices):
    VISUAL = "visual", "Visual"
    AUDITORY = "auditory", "Auditory"
    READING = "reading", "Reading/writing"
    HANDS_ON = "hands_on", "Hands-on"


class SessionFormat(models.TextChoices):
    ONE_TO_ONE = "one_to_one", "One-to-one video"
    GROUP = "group", "Small group"
    PAIR_PRACTICE = "pair_practice", "Pair practice"
    IN_PERSON = "in_person", "In person"


def avatar_path(instance: Profile, filename: str) -> str:
    return f"avatars/{instance.user_id}/{filename}"


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=80, blank=True)
    avatar = models.ImageField(upload_to=avatar_path, blank=True)
    avatar_thumbnail = models.ImageField(upload_to=avatar_path, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    institution = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    programme = models.CharField(max_length=120, blank=True)
    year_of_study = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    timezone = models.CharField(
        max_length=64, default="UTC", help_text="IANA name, e.g. Europe/Berlin"
    )
    languages = models.JSONField(default=list, blank=True)
    city = models.CharField(max_length=120, blank=True)
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    learning_styles = models.JSONField(default=list, blank=True)
    session_formats = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.display_name or str(self.user)

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class LearningSubject(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_subjects"
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="learners")
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.BEGINNER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subject__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "subject"], name="learning_subject_once")
        ]


class TeachingSubject(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teaching_subjects"
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="tutors")
    proficiency = models.CharField(max_length=16, choices=Level.choices, default=Level.ADVANCED)
    evidence = models.CharField(
        max_length=200, blank=True, help_text="e.g. 'A in CS201 (2025)', 'TA for Algorithms'"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subject__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "subject"], name="teaching_subject_once")
        ]

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class AvailabilityWindow(models.Model):
    """A weekly recurring window, in the owner's own time zone (wall-clock times)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    weekday = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(6)], help_text="0 = Monday"
    )
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=models.F("end_time")), name="window_starts_before_end"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="window_weekday_range"),
        ]


class AvailabilityException(models.Model):
    """A dated change to the weekly pattern: a day (or part of it) off, or extra hours."""

    class Kind(models.TextChoices):
        UNAVAILABLE = "unavailable", "Unavailable"
        AVAILABLE = "available", "Extra availability"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    date = models.DateField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.UNAVAILABLE)
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True) & Q(end_time__isnull=True))
                | Q(start_time__lt=models.F("end_time")),
                name="exception_whole_day_or_ordered_times",
            ),
            models.CheckConstraint(
                condition=Q(kind="unavailable") | Q(start_time__isnull=False),
                name="extra_availability_has_times",
            ),
        ]

    @property
    def is_whole_day(self) -> bool:
        return self.start_time is None


def verification_path(instance: VerificationRequest, filename: str) -> str:
    return f"verification/{instance.teaching_subject.user_id}/{filename}"


class VerificationRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    teaching_subject = models.ForeignKey(
        TeachingSubject, on_delete=models.CASCADE, related_name="verification_requests"
    )
    document = models.FileField(
        upload_to=verification_path, storage=private_storage, max_length=300
    )
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["teaching_subject"],
                condition=Q(status="pending"),
                name="one_pending_verification_per_subject",
            )
        ]


class VerificationDecision(models.Model):
    """The audit record of one moderator decision: who, when, what and why."""

    request = models.ForeignKey(
        VerificationRequest, on_delete=models.CASCADE, related_name="decisions"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=VerificationRequest.Status.choices)
    reason = models.TextField(max_length=1000)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]


class DocumentAccessLog(models.Model):
    """Each time someone opens a verification document."""

    request = models.ForeignKey(
        VerificationRequest, on_delete=models.CASCADE, related_name="access_log"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    accessed_at = models.DateTimeField(auto_now_add=True)


class AuditEntry(models.Model):
    """One staff action, wherever it was taken (admin, moderation queues, the API): who, when,
    what, on what, and why. Written only through ``accounts.audit.audit_record``, inside the
    transaction of the change it describes; never edited."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)
    target_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    reason = models.TextField(max_length=2000, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            models.Index(fields=["action", "-created_at"], name="audit_action_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_repr}"


def export_path(instance: DataExport, filename: str) -> str:
    return f"exports/{instance.user_id}/{filename}"


class DataExport(models.Model):
    """A person's archive of their own data, built by a task, downloadable until it expires."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    archive = models.FileField(
        upload_to=export_path, storage=private_storage, max_length=300, blank=True
    )
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="pending"), name="one_pending_export_per_user"
            )
        ]
