"""Reads for practice. ``access_*`` fetch with the permission check and raise ``NotFound`` for
anything the user may not see (a private session you are not in looks the same as none)."""

from __future__ import annotations

import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.common.errors import NotFound

from .models import (
    DIFFICULTY_ORDER,
    Difficulty,
    Draft,
    PracticeSession,
    PracticeTopic,
    Problem,
    Solve,
    Submission,
)

SOLVED_FILTERS = ("solved", "attempted", "unsolved")


def problems(
    *,
    user: User | None,
    difficulty: str = "",
    topic: str = "",
    status: str = "",
    search: str = "",
) -> QuerySet[Problem]:
    """Published problems, filtered; each annotated with ``is_solved`` / ``is_attempted`` for
    ``user`` and ``solve_count`` (how many people solved it)."""
    items = Problem.objects.filter(is_published=True).prefetch_related("topics")
    if difficulty in Difficulty.values:
        items = items.filter(difficulty=difficulty)
    if topic:
        items = items.filter(topics__slug=topic)
    if search:
        items = items.filter(title__icontains=search.strip()[:80])
    items = items.annotate(solve_count=Count("solves", distinct=True))
    if user is not None and user.is_authenticated:
        items = items.annotate(
            is_solved=Exists(Solve.objects.filter(user=user, problem=OuterRef("pk"))),
            is_attempted=Exists(
                Submission.objects.filter(user=user, problem=OuterRef("pk"), mode="submit")
            ),
        )
        if status == "solved":
            items = items.filter(is_solved=True)
        elif status == "attempted":
            items = items.filter(is_attempted=True, is_solved=False)
        elif status == "unsolved":
            items = items.filter(is_solved=False)
    rank = Case(
        *(When(difficulty=d.value, then=Value(i)) for i, d in enumerate(DIFFICULTY_ORDER)),
        output_field=IntegerField(),
    )
    return items.order_by(rank, "title")


def is_solved(*, user: User, problem: Problem) -> bool:
    return Solve.objects.filter(user=user, problem=problem).exists()


def topics() -> QuerySet[PracticeTopic]:
    return PracticeTopic.objects.filter(problems__is_published=True).distinct()


def access_problem(*, user: User | None, slug: str) -> Problem:
    problem = Problem.objects.prefetch_related("topics").filter(slug=slug).first()
    if problem is None or not (problem.is_published or (user and user.is_staff)):
        raise NotFound("No such problem.")
    return problem


def drafts(*, user: User, problem: Problem) -> dict[str, str]:
    """Every language's code as the editor should open it."""
    saved = dict(Draft.objects.filter(user=user, problem=problem).values_list("language", "code"))
    return {language: saved.get(language, code) for language, code in problem.starter_code.items()}


def access_submission(*, user: User, submission_id: int) -> Submission:
    """Only the submitter sees a submission (its code and per-test results)."""
    submission = (
        Submission.objects.select_related("problem", "user__profile", "session")
        .filter(pk=submission_id, user_id=user.pk)
        .first()
    )
    if submission is None:
        raise NotFound("No such submission.")
    return submission


def submissions(*, user: User, problem: Problem, limit: int = 20) -> list[Submission]:
    return list(
        Submission.objects.filter(user=user, problem=problem, mode=Submission.Mode.SUBMIT)
        .defer("code", "results", "compile_output")
        .order_by("-created_at")[:limit]
    )


# --- sessions -------------------------------------------------------------------------------


def access_session(*, user: User, uid: str, as_participant: bool = True) -> PracticeSession:
    """A practice session. With ``as_participant`` only its two people see it; otherwise
    anyone signed in may see that it exists (to join it: a public one with a free seat, or a
    private one by its link plus password)."""
    try:
        session = (
            PracticeSession.objects.select_related(
                "problem", "host__profile", "guest__profile", "room"
            )
            .filter(uid=uid)
            .first()
        )
    except Exception as exc:  # a malformed UUID
        raise NotFound("No such practice session.") from exc
    if session is None or not user.is_authenticated:
        raise NotFound("No such practice session.")
    if as_participant and user.pk not in session.participant_ids:
        raise NotFound("No such practice session.")
    return session


def lobby(*, exclude_user: User | None = None, limit: int = 50) -> list[PracticeSession]:
    """Public sessions with a free seat, newest first."""
    items = PracticeSession.objects.filter(
        visibility=PracticeSession.Visibility.PUBLIC,
        status=PracticeSession.Status.WAITING,
        guest__isnull=True,
        created_at__gte=timezone.now() - timedelta(hours=settings.PRACTICE_LOBBY_HOURS),
    ).select_related("problem", "host__profile")
    items = items.prefetch_related("problem__topics")  # the API shows the problem's topics
    if exclude_user is not None:
        items = items.exclude(host=exclude_user)
    return list(items.order_by("-created_at")[:limit])


def my_sessions(*, user: User, limit: int = 20) -> list[PracticeSession]:
    return list(
        PracticeSession.objects.filter(Q(host=user) | Q(guest=user))
        .select_related("problem", "host__profile", "guest__profile")
        .prefetch_related("problem__topics")
        .order_by("-created_at")[:limit]
    )


@dataclass
class ParticipantSummary:
    user: User
    attempts: int
    runs: int
    solved_at: object | None
    minutes_to_solve: int | None
    best_passed: int
    total: int
    last_verdict: str


def session_summary(*, session: PracticeSession) -> list[ParticipantSummary]:
    """Per participant: submits, runs, whether and when they solved it during the session."""
    people = [session.host] + ([session.guest] if session.guest else [])
    rows = list(
        Submission.objects.filter(session=session)
        .order_by("created_at")
        .values("user_id", "mode", "verdict", "passed", "total", "finished_at")
    )
    summaries = []
    started = session.started_at or session.created_at
    for person in people:
        mine = [r for r in rows if r["user_id"] == person.pk]
        submits = [r for r in mine if r["mode"] == Submission.Mode.SUBMIT]
        accepted = next((r for r in submits if r["verdict"] == "accepted"), None)
        solved_at = accepted["finished_at"] if accepted else None
        summaries.append(
            ParticipantSummary(
                user=person,
                attempts=len(submits),
                runs=len(mine) - len(submits),
                solved_at=solved_at,
                minutes_to_solve=max(0, round((solved_at - started).total_seconds() / 60))
                if solved_at
                else None,
                best_passed=max((r["passed"] for r in submits), default=0),
                total=max((r["total"] for r in submits), default=0),
                last_verdict=submits[-1]["verdict"] if submits else "",
            )
        )
    return summaries


def latest_session_progress(*, session: PracticeSession) -> dict[int, Submission]:
    """Each participant's latest submission in the session (for the partner panel)."""
    latest: dict[int, Submission] = {}
    for submission in (
        Submission.objects.filter(session=session)
        .defer("code", "results", "compile_output", "custom_input")
        .order_by("created_at")
    ):
        latest[submission.user_id] = submission
    return latest


# --- progress -------------------------------------------------------------------------------


def user_zone(user: User) -> zoneinfo.ZoneInfo:
    name = getattr(getattr(user, "profile", None), "timezone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def solve_days(*, user: User) -> list[date]:
    """The days (in the user's time zone) on which they had an Accepted submission."""
    zone = user_zone(user)
    moments = Submission.objects.filter(
        user=user, verdict=Submission.Verdict.ACCEPTED, mode=Submission.Mode.SUBMIT
    ).values_list("finished_at", flat=True)
    return sorted({moment.astimezone(zone).date() for moment in moments if moment})


def streak(*, user: User, today: date | None = None) -> tuple[int, int]:
    """(current, longest) runs of consecutive solve days. The current streak still counts
    when today has no solve yet but yesterday had one."""
    days = solve_days(user=user)
    today = today or timezone.now().astimezone(user_zone(user)).date()
    longest = run = 0
    previous: date | None = None
    for day in days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = run if previous is not None and today - previous <= timedelta(days=1) else 0
    return current, longest


@dataclass
class Progress:
    solved_by_difficulty: dict[str, tuple[int, int]]  # difficulty -> (solved, available)
    solved_by_topic: list[tuple[PracticeTopic, int, int]]  # (topic, solved, available)
    solved_total: int
    attempted_unsolved: int
    streak_current: int
    streak_longest: int
    recommendation: Problem | None
    recommendation_reasons: list[str] = field(default_factory=list)


def progress(*, user: User) -> Progress:
    solved_ids = set(Solve.objects.filter(user=user).values_list("problem_id", flat=True))
    published = list(
        Problem.objects.filter(is_published=True)
        .prefetch_related("topics")
        .only("id", "slug", "title", "difficulty")
    )
    available = Counter(p.difficulty for p in published)
    solved = Counter(p.difficulty for p in published if p.pk in solved_ids)
    by_difficulty = {d.value: (solved[d.value], available[d.value]) for d in DIFFICULTY_ORDER}
    topic_available: Counter[int] = Counter()
    topic_solved: Counter[int] = Counter()
    topic_objects: dict[int, PracticeTopic] = {}
    for problem in published:
        for topic in problem.topics.all():
            topic_objects[topic.pk] = topic
            topic_available[topic.pk] += 1
            topic_solved[topic.pk] += problem.pk in solved_ids
    by_topic = sorted(
        ((topic_objects[t], topic_solved[t], topic_available[t]) for t in topic_available),
        key=lambda row: (-row[1], row[0].name),
    )
    attempted = set(
        Submission.objects.filter(user=user, mode=Submission.Mode.SUBMIT).values_list(
            "problem_id", flat=True
        )
    )
    current, longest = streak(user=user)
    recommendation, reasons = recommend(
        published=published,
        solved_ids=solved_ids,
        attempted_ids=attempted,
        by_difficulty=by_difficulty,
        topic_rates={
            t: topic_solved[t] / topic_available[t] for t in topic_available if topic_available[t]
        },
    )
    return Progress(
        solved_by_difficulty=by_difficulty,
        solved_by_topic=by_topic,
        solved_total=len(solved_ids),
        attempted_unsolved=len(attempted - solved_ids),
        streak_current=current,
        streak_longest=longest,
        recommendation=recommendation,
        recommendation_reasons=reasons,
    )


STEP_UP_AFTER = 3  # solves at a difficulty before recommending the next one


def target_difficulty(by_difficulty: dict[str, tuple[int, int]]) -> str:
    """The next difficulty step: stay until ``STEP_UP_AFTER`` solves (or none are left)."""
    for difficulty in DIFFICULTY_ORDER[:-1]:
        solved, available = by_difficulty[difficulty.value]
        if solved < min(STEP_UP_AFTER, available):
            return difficulty.value
    return DIFFICULTY_ORDER[-1].value


def recommend(
    *,
    published: list[Problem],
    solved_ids: set[int],
    attempted_ids: set[int],
    by_difficulty: dict[str, tuple[int, int]],
    topic_rates: dict[int, float],
) -> tuple[Problem | None, list[str]]:
    """An unsolved problem at the next difficulty step in the user's weakest topic: lowest
    share solved first, then an attempted-but-unsolved problem before a fresh one."""
    unsolved = [p for p in published if p.pk not in solved_ids]
    if not unsolved:
        return None, []
    target = target_difficulty(by_difficulty)
    order = {d.value: i for i, d in enumerate(DIFFICULTY_ORDER)}

    def weakness(problem: Problem) -> tuple[float, int, int, int]:
        rates = [topic_rates.get(t.pk, 0.0) for t in problem.topics.all()] or [0.0]
        return (
            min(rates),
            abs(order[problem.difficulty] - order[target]),
            0 if problem.pk in attempted_ids else 1,
            problem.pk,
        )

    best = min(unsolved, key=weakness)
    weakest = min(best.topics.all(), key=lambda t: topic_rates.get(t.pk, 0.0), default=None)
    reasons = []
    if weakest is not None:
        share = round(100 * topic_rates.get(weakest.pk, 0.0))
        reasons.append(f"{weakest.name} is your weakest topic ({share}% solved)")
    if best.difficulty == target:
        reasons.append(f"{best.get_difficulty_display()} is your next step")
    if best.pk in attempted_ids:
        reasons.append("you tried it before")
    return best, reasons
