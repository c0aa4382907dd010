"""Reads of the learner's and the tutor's dashboards. Each is about one person and reads only
that person's rows (plus the platform's rating rollup), in a fixed number of queries; weeks
and days are the viewer's own (their profile's time zone)."""

from __future__ import annotations

import statistics
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.matching.help.models import HelpOffer
from peerlearn.practice import selectors as practice_selectors
from peerlearn.practice.models import Solve, Submission
from peerlearn.reviews.models import LEARNER_DIMENSIONS, TUTOR_DIMENSIONS, Review
from peerlearn.reviews.selectors import visible
from peerlearn.scheduling.models import Booking, BookingEvent, TimeClaim

from .models import DailyMetric, LearnerGoal
from .selectors import MIN_GROUP, Table, chart_for, human_seconds

WEEKS = 12
MONTHS = 6
IMPACT_DAYS = 28
PLATFORM_DAYS = 180
CALENDAR_WEEKS = 12


def _zone(user: User) -> zoneinfo.ZoneInfo:
    return practice_selectors.user_zone(user)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weeks(today: date, n: int = WEEKS) -> list[date]:
    last = week_start(today)
    return [last - timedelta(weeks=n - 1 - i) for i in range(n)]


def _months(today: date, n: int = MONTHS) -> list[date]:
    first = today.replace(day=1)
    out = [first]
    for _ in range(n - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    return out[::-1]


def _local_midnight(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


@dataclass
class Goal:
    goal: LearnerGoal
    value: float
    percent: int
    status: str  # done | on_track | behind | missed


@dataclass
class LearnerDashboard:
    zone: str
    tables: dict[str, Table]
    progress: practice_selectors.Progress
    calendar: list[list[tuple[date, bool, bool]]]  # weeks of (day, solved, future)
    goals: list[Goal]
    totals: list[tuple[str, str]]


def _learner_bookings(user: User) -> list[Booking]:
    as_learner = TimeClaim.objects.filter(
        user=user, role=TimeClaim.Role.LEARNER, active=True
    ).values("booking_id")
    return list(
        Booking.objects.filter(pk__in=as_learner, status=Booking.Status.COMPLETED)
        .select_related("subject")
        .only("starts_at", "ends_at", "subject__name", "subject_id", "tutor_id")
    )


def learner_dashboard(*, user: User, now: datetime | None = None) -> LearnerDashboard:
    now = now or timezone.now()
    tz = _zone(user)
    today = now.astimezone(tz).date()
    weeks = _weeks(today)
    since = _local_midnight(weeks[0], tz)
    bookings = _learner_bookings(user)
    solves = list(Solve.objects.filter(user=user).values_list("solved_at", "problem__difficulty"))
    submitted = list(
        Submission.objects.filter(
            user=user, mode=Submission.Mode.SUBMIT, created_at__gte=since
        ).values_list("created_at", flat=True)
    )
    per_week: dict[date, list[float]] = {w: [0, 0.0, 0, 0] for w in weeks}
    for b in bookings:
        w = week_start(b.starts_at.astimezone(tz).date())
        if w in per_week:
            per_week[w][0] += 1
            per_week[w][1] += b.duration_minutes / 60
    for moment, _ in solves:
        w = week_start(moment.astimezone(tz).date())
        if w in per_week:
            per_week[w][2] += 1
    for moment in submitted:
        w = week_start(moment.astimezone(tz).date())
        if w in per_week:
            per_week[w][3] += 1
    weekly_rows = [
        [w.isoformat(), int(v[0]), round(v[1], 1), int(v[2]), int(v[3])]
        for w, v in per_week.items()
    ]
    tables: dict[str, Table] = {
        "weekly": Table(
            "weekly",
            "Sessions and practice per week",
            ["Week of", "Sessions", "Hours", "Problems solved", "Submissions"],
            weekly_rows if any(any(r[1:]) for r in weekly_rows) else [],
            empty="Your completed sessions and practice appear here week by week.",
        )
    }
    # Subjects studied (all time).
    by_subject: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for b in bookings:
        by_subject[b.subject.name][0] += 1
        by_subject[b.subject.name][1] += b.duration_minutes / 60
    tables["subjects"] = Table(
        "subjects",
        "Subjects studied",
        ["Subject", "Sessions", "Hours"],
        [
            [s, int(v[0]), round(v[1], 1)]
            for s, v in sorted(by_subject.items(), key=lambda kv: -kv[1][0])
        ],
        empty="Once you complete a session, its subject and hours are listed here.",
    )
    # Ratings tutors gave me, per month.
    months = _months(today)
    ratings: dict[date, dict[str, list[int]]] = {m: defaultdict(list) for m in months}
    received = visible(
        Review.objects.filter(subject=user, direction=Review.Direction.OF_LEARNER),
        now,
    ).values_list("created_at", *LEARNER_DIMENSIONS)
    for moment, *scores in received:
        m = moment.astimezone(tz).date().replace(day=1)
        if m in ratings:
            for name, score in zip(LEARNER_DIMENSIONS, scores, strict=True):
                ratings[m][name].append(score)
    rating_rows = [
        [
            m.strftime("%b %Y"),
            *(_mean([float(x) for x in ratings[m][d]]) for d in LEARNER_DIMENSIONS),
        ]
        for m in months
    ]
    tables["ratings"] = Table(
        "ratings",
        "How tutors rated you, per month",
        ["Month", "Preparedness", "Engagement"],
        rating_rows if any(r[1] is not None for r in rating_rows) else [],
        note="Means of the reviews you can read (revealed, not hidden), 1–5.",
        empty="When tutors review you after sessions, their scores show here month by month.",
    )
    chart_for(tables["weekly"], "bar", [1, 3])
    chart_for(tables["ratings"], "line", [1, 2])
    progress = practice_selectors.progress(user=user)
    solved_days = {moment.astimezone(tz).date() for moment, _ in solves}
    first = week_start(today) - timedelta(weeks=CALENDAR_WEEKS - 1)
    calendar = [
        [
            (d, d in solved_days, d > today)
            for d in (first + timedelta(weeks=w, days=i) for i in range(7))
        ]
        for w in range(CALENDAR_WEEKS)
    ]
    hours = sum(b.duration_minutes for b in bookings) / 60
    return LearnerDashboard(
        zone=str(tz),
        tables=tables,
        progress=progress,
        calendar=calendar,
        goals=goals_progress(user=user, bookings=bookings, solves=solves, today=today, tz=tz),
        totals=[
            ("Sessions completed", str(len(bookings))),
            ("Hours learning", f"{hours:.1f}"),
            ("Problems solved", str(progress.solved_total)),
            ("Day streak", str(progress.streak_current)),
        ],
    )


def goals_progress(
    *,
    user: User,
    bookings: list[Booking],
    solves: list[tuple[datetime, str]],
    today: date,
    tz: zoneinfo.ZoneInfo,
) -> list[Goal]:
    out = []
    for goal in LearnerGoal.objects.filter(user=user).select_related("subject"):

        def inside(moment: datetime, g: LearnerGoal = goal) -> bool:
            return g.starts_on <= moment.astimezone(tz).date() <= g.due_on

        matching = [
            b
            for b in bookings
            if inside(b.starts_at) and (goal.subject_id is None or b.subject_id == goal.subject_id)
        ]
        if goal.kind == LearnerGoal.Kind.SESSIONS:
            value: float = len(matching)
        elif goal.kind == LearnerGoal.Kind.HOURS:
            value = round(sum(b.duration_minutes for b in matching) / 60, 1)
        else:
            value = sum(1 for moment, _ in solves if inside(moment))
        percent = min(100, round(100 * value / goal.target))
        if value >= goal.target:
            status = "done"
        elif today > goal.due_on:
            status = "missed"
        else:
            span = (goal.due_on - goal.starts_on).days + 1
            elapsed = (today - goal.starts_on).days + 1
            status = "on_track" if value / goal.target >= elapsed / span - 1e-9 else "behind"
        out.append(Goal(goal, value, percent, status))
    return out


# --- the tutor's dashboard ----------------------------------------------------------------------

ADVICE: dict[str, str] = {
    "clarity": "Learners find some explanations hard to follow. Check understanding every few "
    "minutes by asking the learner to explain a step back in their own words, and work one "
    "example on the whiteboard before stating the general rule.",
    "knowledge": "Some learners doubted an answer. Read the learner's note before the session "
    "and prepare the topic; when you are unsure, say so and follow up in a message with a "
    "source.",
    "patience": "Some learners felt rushed. Pause after a question, let the learner try the "
    "next step first, and slow down when they go quiet.",
    "punctuality": "Sessions started late. Join the room a few minutes early (it opens before "
    "the start), keep the reminders on, and add a buffer before sessions in your scheduling "
    "settings.",
}
ADVICE_TAGS: dict[str, set[str]] = {
    "clarity": {"hard-to-follow", "too-fast"},
    "knowledge": set(),
    "patience": {"too-fast"},
    "punctuality": {"ran-late"},
}
RECENT_DAYS = 45  # the advice reads this many days, against the 90 before them
LOW_MEAN = 3.5
BELOW_PLATFORM = 0.5
DROP = 0.5


@dataclass
class Advice:
    dimension: str
    reason: str
    suggestion: str
    comments: list[str] = field(default_factory=list)


@dataclass
class Impact:
    learners: int
    sessions: int
    solves_before: float  # mean per learner-session, in the IMPACT_DAYS before
    solves_after: float
    accept_before: float | None  # share of accepted submissions
    accept_after: float | None


@dataclass
class TutorDashboard:
    zone: str
    totals: list[tuple[str, str]]
    tables: dict[str, Table]
    advice: list[Advice]
    impact: Impact | None
    impact_learners: int


def platform_ratings(today: date) -> dict[str, tuple[int, float, dict[int, int]]]:
    """Per tutor dimension over the last ``PLATFORM_DAYS``: (reviews, mean, {score: count}),
    from the rollup (one query)."""
    found: dict[str, dict[int, tuple[int, float]]] = defaultdict(dict)
    for r in (
        DailyMetric.objects.filter(
            is_total=True,
            institution__isnull=True,
            day__gt=today - timedelta(days=PLATFORM_DAYS),
            name__in=[f"rating.{d}" for d in TUTOR_DIMENSIONS],
        )
        .values("name", "key")
        .annotate(n=Sum("count"), t=Sum("total"))
        .order_by()
    ):
        found[r["name"].removeprefix("rating.")][int(r["key"])] = (r["n"], r["t"])
    out = {}
    for d in TUTOR_DIMENSIONS:
        n = sum(v[0] for v in found[d].values())
        total = sum(v[1] for v in found[d].values())
        out[d] = (
            n,
            total / n if n else 0.0,
            {s: found[d].get(s, (0, 0.0))[0] for s in range(1, 6)},
        )
    return out


def tutor_dashboard(*, user: User, now: datetime | None = None) -> TutorDashboard:
    now = now or timezone.now()
    tz = _zone(user)
    today = now.astimezone(tz).date()
    weeks = _weeks(today)
    given = list(
        Booking.objects.filter(tutor=user, status=Booking.Status.COMPLETED)
        .select_related("subject")
        .only("starts_at", "ends_at", "subject__name")
    )
    learner_claims = list(
        TimeClaim.objects.filter(
            booking__tutor=user,
            booking__status=Booking.Status.COMPLETED,
            role=TimeClaim.Role.LEARNER,
            active=True,
        ).values_list("user_id", "booking_id", "booking__starts_at", "booking__ends_at")
    )
    per_learner = Counter(uid for uid, *_ in learner_claims)
    per_week: dict[date, list[float]] = {w: [0, 0.0] for w in weeks}
    for b in given:
        w = week_start(b.starts_at.astimezone(tz).date())
        if w in per_week:
            per_week[w][0] += 1
            per_week[w][1] += b.duration_minutes / 60
    weekly_rows = [[w.isoformat(), int(v[0]), round(v[1], 1)] for w, v in per_week.items()]
    tables: dict[str, Table] = {
        "weekly": Table(
            "weekly",
            "Sessions and hours given per week",
            ["Week of", "Sessions", "Hours"],
            weekly_rows if any(r[1] for r in weekly_rows) else [],
            empty="Your completed sessions appear here week by week.",
        )
    }
    chart_for(tables["weekly"], "bar", [1, 2])
    # Response times: the tutor's first answer to each request, and to help offers.
    answers = list(
        BookingEvent.objects.filter(
            booking__tutor=user, actor=user, action__in=["accept", "decline", "counter"]
        ).values_list("booking_id", "at", "booking__created_at")
    )
    first_answer: dict[int, float] = {}
    for booking_id, at, created in sorted(answers, key=lambda a: a[1]):
        first_answer.setdefault(booking_id, (at - created).total_seconds())
    offer_waits = [
        o.response_seconds
        for o in HelpOffer.objects.filter(tutor=user, responded_at__isnull=False).only(
            "offered_at", "responded_at"
        )
        if o.response_seconds is not None
    ]
    late_cancels = Booking.objects.filter(
        tutor=user,
        status=Booking.Status.CANCELLED,
        cancelled_late=True,
    ).aggregate(
        mine=_count_q(Q(events__action="cancel", events__actor=user)),
        theirs=_count_q(~Q(events__actor=user) & Q(events__action="cancel")),
    )
    no_shows = Booking.objects.filter(tutor=user, status=Booking.Status.NO_SHOW).aggregate(
        mine=_count_q(Q(no_show_user=user)), theirs=_count_q(~Q(no_show_user=user))
    )
    hours = sum(b.duration_minutes for b in given) / 60
    totals = [
        ("Sessions given", str(len(given))),
        ("Hours given", f"{hours:.1f}"),
        ("Learners helped", str(len(per_learner))),
        ("Repeat learners", str(sum(1 for n in per_learner.values() if n >= 2))),
        (
            "Median time to answer a request",
            human_seconds(statistics.median(first_answer.values()) if first_answer else None),
        ),
        (
            "Median time to answer a help offer",
            human_seconds(statistics.median(offer_waits) if offer_waits else None),
        ),
    ]
    tables["reliability"] = Table(
        "reliability",
        "No-shows and late cancellations",
        ["Who", "No-shows", "Late cancellations"],
        [
            ["You", no_shows["mine"], late_cancels["mine"]],
            ["Your learners", no_shows["theirs"], late_cancels["theirs"]],
        ],
    )
    by_subject: dict[str, list[Any]] = defaultdict(lambda: [0, 0.0, set()])
    subject_of = {b.pk: b.subject.name for b in given}
    for b in given:
        by_subject[b.subject.name][0] += 1
        by_subject[b.subject.name][1] += b.duration_minutes / 60
    for uid, booking_id, *_ in learner_claims:
        by_subject[subject_of[booking_id]][2].add(uid)
    tables["subjects"] = Table(
        "subjects",
        "Sessions per subject",
        ["Subject", "Sessions", "Hours", "Learners"],
        [
            [s, v[0], round(v[1], 1), len(v[2]) if len(v[2]) >= MIN_GROUP else f"< {MIN_GROUP}"]
            for s, v in sorted(by_subject.items(), key=lambda kv: -kv[1][0])
        ],
        empty="Once you have taught a session, each subject's sessions and hours show here.",
    )
    reviews = list(
        visible(Review.objects.filter(subject=user, direction=Review.Direction.OF_TUTOR), now)
        .order_by("-created_at")
        .values("created_at", "comment", "tags", *TUTOR_DIMENSIONS)[:500]
    )
    platform = platform_ratings(today)
    _rating_tables(tables, reviews, platform, today, tz)
    impact, impact_learners = _impact(learner_claims, now)
    return TutorDashboard(
        zone=str(tz),
        totals=totals,
        tables=tables,
        advice=feedback_advice(reviews, platform, now),
        impact=impact,
        impact_learners=impact_learners,
    )


def _count_q(condition: Q) -> Any:
    from django.db.models import Count

    return Count("pk", filter=condition, distinct=True)


def _rating_tables(
    tables: dict[str, Table],
    reviews: list[dict[str, Any]],
    platform: dict[str, tuple[int, float, dict[int, int]]],
    today: date,
    tz: zoneinfo.ZoneInfo,
) -> None:
    months = _months(today)
    per_month: dict[date, dict[str, list[int]]] = {m: defaultdict(list) for m in months}
    for r in reviews:
        m = r["created_at"].astimezone(tz).date().replace(day=1)
        if m in per_month:
            for d in TUTOR_DIMENSIONS:
                per_month[m][d].append(r[d])
    rows = [
        [
            m.strftime("%b %Y"),
            *(_mean([float(x) for x in per_month[m][d]]) for d in TUTOR_DIMENSIONS),
        ]
        for m in months
    ]
    tables["trend"] = Table(
        "trend",
        "Your ratings per month",
        ["Month", *(d.capitalize() for d in TUTOR_DIMENSIONS)],
        rows if any(any(v is not None for v in r[1:]) for r in rows) else [],
        note="Means of the reviews you can read (revealed, not hidden), 1–5.",
        empty="When learners review your sessions, each dimension's monthly mean shows here.",
    )
    chart_for(tables["trend"], "line", [1, 2, 3, 4])
    compare = []
    for d in TUTOR_DIMENSIONS:
        mine = [float(r[d]) for r in reviews]
        n, mean, dist = platform[d]
        below = sum(c for s, c in dist.items() if mine and s < (_mean(mine) or 0))
        compare.append(
            [
                d.capitalize(),
                _mean(mine),
                len(mine),
                round(mean, 2) if n >= MIN_GROUP else None,
                f"{100 * below / n:.0f}%" if n >= MIN_GROUP and mine else "–",
            ]
        )
    tables["compare"] = Table(
        "compare",
        "You and the platform",
        ["Dimension", "You", "Reviews", "Platform", "Scores below you"],
        compare if any(r[1] is not None for r in compare) else [],
        note=f"Platform: every tutor's reviews of the last {PLATFORM_DAYS} days (shown from "
        f"{MIN_GROUP} reviews).",
        empty="Your means beside the platform's appear after your first reviews.",
    )


def feedback_advice(
    reviews: list[dict[str, Any]],
    platform: dict[str, tuple[int, float, dict[int, int]]],
    now: datetime,
) -> list[Advice]:
    """A suggestion per tutor dimension that sits low (mean of the last ``RECENT_DAYS`` under
    3.5, or half a point under the platform's) or trends down (those days half a point under
    the 90 days before them), with the comments that support it (low scores or telling tags)."""
    cut = now - timedelta(days=RECENT_DAYS)
    recent = [r for r in reviews if r["created_at"] >= cut]
    earlier = [r for r in reviews if cut - timedelta(days=90) <= r["created_at"] < cut]
    out = []
    for d in TUTOR_DIMENSIONS:
        now_mean = _mean([float(r[d]) for r in recent])
        before_mean = _mean([float(r[d]) for r in earlier])
        n_platform, platform_mean, _ = platform[d]
        reason = ""
        if now_mean is None or len(recent) < 2:
            continue
        if now_mean < LOW_MEAN:
            reason = f"Your {d} averages {now_mean:.1f} over the last {RECENT_DAYS} days."
        elif n_platform >= MIN_GROUP and now_mean <= platform_mean - BELOW_PLATFORM:
            reason = (
                f"Your {d} ({now_mean:.1f}) is {platform_mean - now_mean:.1f} under the "
                f"platform's {platform_mean:.1f}."
            )
        elif before_mean is not None and len(earlier) >= 2 and now_mean <= before_mean - DROP:
            reason = (
                f"Your {d} fell from {before_mean:.1f} to {now_mean:.1f} over the last "
                f"{RECENT_DAYS} days."
            )
        if not reason:
            continue
        supporting = [
            r["comment"]
            for r in recent
            if r["comment"].strip() and (r[d] <= 3 or set(r["tags"] or []) & ADVICE_TAGS[d])
        ][:3]
        out.append(Advice(d, reason, ADVICE[d], supporting))
    return out


def _impact(
    claims: list[tuple[int, int, datetime, datetime]], now: datetime
) -> tuple[Impact | None, int]:
    """Practice of the tutor's learners in the ``IMPACT_DAYS`` before a session with them and
    the ``IMPACT_DAYS`` after it (sessions that ended at least that long ago, within the last
    year). Shown only from ``MIN_GROUP`` learners."""
    window = timedelta(days=IMPACT_DAYS)
    pairs = [
        (uid, starts, ends)
        for uid, _, starts, ends in claims
        if now - timedelta(days=365) <= ends <= now - window
    ]
    learners = {uid for uid, *_ in pairs}
    if len(learners) < MIN_GROUP:
        return None, len(learners)
    lo = min(s for _, s, _ in pairs) - window
    hi = max(e for _, _, e in pairs) + window
    subs: dict[int, list[tuple[datetime, bool]]] = defaultdict(list)
    for uid, moment, verdict in Submission.objects.filter(
        user_id__in=learners, mode=Submission.Mode.SUBMIT, created_at__gte=lo, created_at__lt=hi
    ).values_list("user_id", "created_at", "verdict"):
        subs[uid].append((moment, verdict == Submission.Verdict.ACCEPTED))
    solves: dict[int, list[datetime]] = defaultdict(list)
    for uid, moment in Solve.objects.filter(
        user_id__in=learners, solved_at__gte=lo, solved_at__lt=hi
    ).values_list("user_id", "solved_at"):
        solves[uid].append(moment)
    before_solves = after_solves = 0
    before_subs: list[bool] = []
    after_subs: list[bool] = []
    for uid, starts, ends in pairs:
        before_solves += sum(1 for m in solves[uid] if starts - window <= m < starts)
        after_solves += sum(1 for m in solves[uid] if ends <= m < ends + window)
        before_subs += [ok for m, ok in subs[uid] if starts - window <= m < starts]
        after_subs += [ok for m, ok in subs[uid] if ends <= m < ends + window]
    return (
        Impact(
            learners=len(learners),
            sessions=len(pairs),
            solves_before=round(before_solves / len(pairs), 2),
            solves_after=round(after_solves / len(pairs), 2),
            accept_before=round(sum(before_subs) / len(before_subs), 3) if before_subs else None,
            accept_after=round(sum(after_subs) / len(after_subs), 3) if after_subs else None,
        ),
        len(learners),
    )
