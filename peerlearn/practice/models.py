"""Practice: the problem bank, drafts, submissions and their verdicts, paired practice sessions.

Hidden tests and reference solutions live in ``ProblemTestSet`` (one row per problem) so that
listing or showing problems never loads them; nothing that renders a page or an API answer reads
that table except to count its tests."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


DIFFICULTY_ORDER = [Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD]


class Language(models.TextChoices):
    PYTHON = "python", "Python 3"
    CPP = "cpp", "C++17"
    JAVASCRIPT = "javascript", "JavaScript (Node.js)"


class PracticeTopic(models.Model):
    """An algorithm topic (arrays, graphs, …); distinct from the catalogue's course topics."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Problem(models.Model):
    class Kind(models.TextChoices):
        FUNCTION = "function", "Write a function"
        STDIO = "stdio", "Standard input/output"

    class Compare(models.TextChoices):
        EXACT = "exact", "Exact"
        UNORDERED = "unordered", "Any order"
        FLOAT = "float", "Within a tolerance"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=120)
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices)
    topics = models.ManyToManyField(PracticeTopic, related_name="problems")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    signature = models.JSONField(null=True, blank=True, help_text="{name, params, returns}")
    compare = models.CharField(max_length=10, choices=Compare.choices, default=Compare.EXACT)
    float_tolerance = models.FloatField(default=1e-6)
    time_limit_ms = models.PositiveIntegerField(default=2000)
    memory_limit_mb = models.PositiveIntegerField(default=256)
    statement = models.TextField(help_text="Markdown source")
    statement_html = models.TextField()
    constraints = models.JSONField(default=list, blank=True, help_text="Markdown lines")
    constraints_html = models.TextField(blank=True)
    editorial = models.TextField(blank=True)
    editorial_html = models.TextField(blank=True)
    starter_code = models.JSONField(default=dict, help_text="{language: code}")
    samples = models.JSONField(default=list, help_text="Shown tests: [{args|input, expected}]")
    hidden_test_count = models.PositiveIntegerField(default=0)
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["is_published", "difficulty"])]

    def __str__(self) -> str:
        return self.title


class ProblemTestSet(models.Model):
    """What users never see: hidden tests and reference solutions."""

    problem = models.OneToOneField(Problem, on_delete=models.CASCADE, related_name="test_set")
    hidden = models.JSONField(default=list)
    reference_solutions = models.JSONField(default=dict, help_text="{language: code}")


class Draft(models.Model):
    """Autosaved code, one per user, problem and language."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=12, choices=Language.choices)
    code = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "problem", "language"], name="one_draft_per_language"
            )
        ]


class PracticeSession(models.Model):
    """Two people on one problem. ``guest`` is the second seat; the database refuses a guest
    who is also the host, and joining locks the row so a seat is taken once."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public — listed in the lobby"
        PRIVATE = "private", "Private — joined with a link and password"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for a partner"
        ACTIVE = "active", "In progress"
        ENDED = "ended", "Ended"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="sessions")
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_practice"
    )
    guest = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="joined_practice",
    )
    visibility = models.CharField(max_length=8, choices=Visibility.choices)
    password_hash = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(guest=models.F("host")), name="guest_is_not_host"),
            models.CheckConstraint(
                condition=Q(visibility="public", password_hash="")
                | Q(visibility="private") & ~Q(password_hash=""),
                name="private_sessions_have_a_password",
            ),
        ]
        indexes = [models.Index(fields=["visibility", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"Practice {self.uid}"

    @property
    def participant_ids(self) -> set[int]:
        return {self.host_id, *([self.guest_id] if self.guest_id else [])}

    @property
    def is_live(self) -> bool:
        return self.status != self.Status.ENDED


class Submission(models.Model):
    class Mode(models.TextChoices):
        RUN = "run", "Run (samples or custom input)"
        SUBMIT = "submit", "Submit (hidden tests)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Judged"
        FAILED = "failed", "Could not be judged"

    class Verdict(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        WRONG_ANSWER = "wrong_answer", "Wrong Answer"
        TIME_LIMIT = "time_limit_exceeded", "Time Limit Exceeded"
        MEMORY_LIMIT = "memory_limit_exceeded", "Memory Limit Exceeded"
        RUNTIME_ERROR = "runtime_error", "Runtime Error"
        COMPILE_ERROR = "compile_error", "Compile Error"
        OUTPUT_LIMIT = "output_limit_exceeded", "Output Limit Exceeded"
        RAN = "ran", "Ran"
        SKIPPED = "skipped", "Not run"
        INTERNAL_ERROR = "internal_error", "Judge error"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="submissions")
    session = models.ForeignKey(
        PracticeSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
    )
    language = models.CharField(max_length=12, choices=Language.choices)
    code = models.TextField()
    mode = models.CharField(max_length=8, choices=Mode.choices)
    custom_input = models.TextField(
        blank=True, help_text="Run only: the user's own input (stdin, or JSON arguments)"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    verdict = models.CharField(max_length=24, choices=Verdict.choices, blank=True)
    tests_done = models.PositiveIntegerField(default=0, help_text="Progress while running")
    passed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    time_ms = models.PositiveIntegerField(null=True, blank=True)
    memory_kb = models.PositiveIntegerField(null=True, blank=True)
    compile_output = models.TextField(blank=True)
    results = models.JSONField(default=list, help_text="Per test, as shown to the submitter")
    error = models.TextField(blank=True, help_text="Why it could not be judged")
    code_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "problem", "-created_at"]),
            models.Index(fields=["user", "verdict", "finished_at"]),
        ]

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


class Solve(models.Model):
    """A user's first Accepted submission of a problem: progress counts read this."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="solves")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    solved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "problem"], name="one_solve_per_problem")
        ]
