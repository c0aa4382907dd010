"""Reads of the administrators' analytics: who may see what (``access_analytics``) and the
report over a date range, built from the daily rollups in a constant number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from peerlearn.accounts.models import Institution, User
from peerlearn.common.errors import Forbidden, Invalid
from peerlearn.practice.models import Submission
from peerlearn.reviews.models import ALL_DIMENSIONS

from . import metrics
from .models import DailyMetric, RollupDay

MIN_GROUP = 5  # a breakdown of fewer people (or events about people) than this is not shown
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30


@dataclass(frozen=True)
class AnalyticsScope:
    """What an administrator may see: every institution (``institution_ids`` is None) or
    only theirs."""

    institution_ids: tuple[int, ...] | None
    label: str

    @property
    def is_platform(self) -> bool:
        return self.institution_ids is None


def access_analytics(user: User) -> AnalyticsScope:
    """The one place that says who sees the administrators' analytics: superusers, platform
    admins (role) and staff without an institution see the whole platform; staff of an
    institution (``is_staff`` with a profile institution) see that institution. Everyone else
    gets ``Forbidden``."""
    if not user.is_authenticated or not user.is_active:
        raise Forbidden("Sign in as an administrator to see analytics.")
    if user.is_superuser or user.role == User.Role.ADMIN:
        return AnalyticsScope(None, "All institutions")
    if user.is_staff:
        profile = getattr(user, "profile", None)
        if profile is not None and profile.institution_id is not None:
            return AnalyticsScope((profile.institution_id,), profile.institution.name)
        return AnalyticsScope(None, "All institutions")
    raise Forbidden("Only administrators and institution staff see analytics.")


def can_see_analytics(user: User) -> bool:
    try:
        access_analytics(user)
    except Forbidden:
        return False
    return True


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    institution_id: int | None  # None: everything the scope allows


def filters_parse(scope: AnalyticsScope, params: dict[str, Any]) -> Filters:
    """The date range (analytics days, default the last 30) and institution from a query
    string; an institution outside the scope is ``Forbidden``."""
    today = metrics.local_day(timezone.now())
    try:
        end = date.fromisoformat(params.get("end") or today.isoformat())
        start = date.fromisoformat(
            params.get("start") or (end - timedelta(days=DEFAULT_RANGE_DAYS - 1)).isoformat()
        )
        raw_institution = params.get("institution") or ""
        institution_id = int(raw_institution) if raw_institution else None
    except ValueError as exc:
        raise Invalid("Dates are YYYY-MM-DD; the institution is a number.") from exc
    if end < start:
        raise Invalid("The range ends before it starts.", code="bad_range", field="end")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise Invalid("Pick at most a year.", code="bad_range", field="start")
    if scope.institution_ids is not None:
        if institution_id is not None and institution_id not in scope.institution_ids:
            raise Forbidden("That institution is outside what you may see.")
        institution_id = scope.institution_ids[0]
    return Filters(start, end, institution_id)


@dataclass
class Table:
    """One table of the report: shown under its chart, exported as CSV, returned by the API."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""
    empty: str = "Nothing happened in this range yet."
    chart: dict[str, Any] | None = None  # a Chart.js configuration (see ``chart_for``)


def chart_for(
    table: Table,
    kind: str,
    series: list[int],
    *,
    stacked: bool = False,
    colors: list[str] | None = None,
) -> None:
    """Draw ``table`` as a chart: x labels from its first column, one dataset per column in
    ``series`` (text cells are gaps), coloured by the CSS variables ``colors`` (default: the
    theme's series). The page's script turns this into a Chart.js chart."""
    if not table.rows:
        return
    table.chart = {
        "type": kind,
        "stacked": stacked,
        "colors": colors or [],
        "labels": [str(r[0]) for r in table.rows],
        "datasets": [
            {
                "label": table.columns[i],
                "data": [r[i] if isinstance(r[i], int | float) else None for r in table.rows],
            }
            for i in series
        ],
    }


@dataclass
class Report:
    scope: AnalyticsScope
    filters: Filters
    computed_through: date | None
    headline: list[tuple[str, str]]
    tables: dict[str, Table] = field(default_factory=dict)
    institutions: list[Institution] = field(default_factory=list)


def _scoped(scope: AnalyticsScope, filters: Filters) -> Q:
    q = Q(day__gte=filters.start, day__lte=filters.end)
    if filters.institution_id is not None:
        return q & Q(is_total=False, institution_id=filters.institution_id)
    return q & Q(is_total=True, institution__isnull=True)  # the index's whole prefix


def _rate(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def human_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def percentile(histogram: dict[str, int], p: float) -> str:
    """The ``p`` percentile of a wait histogram as "≤ edge" (its bucket's upper edge)."""
    n = sum(histogram.values())
    if not n:
        return "–"
    running = 0
    for edge in [*map(str, metrics.WAIT_EDGES), metrics.OPEN_BUCKET]:
        running += histogram.get(edge, 0)
        if running >= p * n:
            if edge == metrics.OPEN_BUCKET:
                return f"> {human_seconds(metrics.WAIT_EDGES[-1])}"
            return f"≤ {human_seconds(float(edge))}"
    return "–"


DAILY_SERIES = ("active.dau", "active.wau", "active.mau", "signups", "funnel.requested")


def admin_report(*, scope: AnalyticsScope, filters: Filters) -> Report:
    """Everything the analytics page shows, in four queries whatever the platform's size: the
    range's sums per (name, key), the daily series, the institutions, the last computed day."""
    where = _scoped(scope, filters)
    sums: dict[tuple[str, str], tuple[int, float]] = {
        (r["name"], r["key"]): (r["n"] or 0, r["t"] or 0.0)
        for r in DailyMetric.objects.filter(where)
        .values("name", "key")
        .annotate(n=Sum("count"), t=Sum("total"))
        .order_by()
    }
    daily: dict[str, dict[date, int]] = defaultdict(dict)
    for r in (
        DailyMetric.objects.filter(where, name__in=DAILY_SERIES)
        .values("day", "name")
        .annotate(n=Sum("count"))
        .order_by()
    ):
        daily[r["name"]][r["day"]] = r["n"]
    institutions = (
        list(Institution.objects.order_by("name").only("id", "name")) if scope.is_platform else []
    )
    last = RollupDay.objects.order_by("-day").values_list("day", flat=True).first()

    def count(name: str, key: str = "") -> int:
        return sums.get((name, key), (0, 0.0))[0]

    def keyed(name: str) -> dict[str, tuple[int, float]]:
        return {k: v for (n, k), v in sums.items() if n == name}

    report = Report(scope, filters, last, headline=[])
    _activity_table(report, daily)
    _funnel_table(report, sums)
    _match_table(report, sums)
    _sessions_table(report, keyed("sessions.outcome"))
    _help_table(report, keyed("help.requests"), keyed("help.wait"))
    _satisfaction_table(report, sums)
    _judge_tables(report, keyed("judge.verdict"), keyed("judge.wait"))
    _community_table(report, sums)
    report.institutions = institutions
    days = (filters.end - filters.start).days + 1
    mau_last = daily["active.mau"].get(filters.end, 0)
    report.headline = [
        ("Monthly active people", f"{mau_last:,}"),
        ("Sign-ups", f"{count('signups'):,}"),
        ("Sessions completed", f"{count('sessions.outcome', 'completed'):,}"),
        ("Problems solved", f"{sum(v[0] for v in keyed('practice.solves').values()):,}"),
        ("Days", str(days)),
    ]
    return report


def _activity_table(report: Report, daily: dict[str, dict[date, int]]) -> None:
    f = report.filters
    rows = []
    day = f.start
    while day <= f.end:
        rows.append(
            [
                day.isoformat(),
                daily["active.dau"].get(day, 0),
                daily["active.wau"].get(day, 0),
                daily["active.mau"].get(day, 0),
                daily["signups"].get(day, 0),
                daily["funnel.requested"].get(day, 0),
            ]
        )
        day += timedelta(days=1)
    if not any(any(r[1:]) for r in rows):
        rows = []
    report.tables["activity"] = Table(
        "activity",
        "Active people, sign-ups and booking requests per day",
        ["Day", "Daily active", "Weekly active", "Monthly active", "Sign-ups", "Requests"],
        rows,
        note="Active: submitted code, wrote a message, post or review, or changed a booking. "
        "Weekly and monthly: distinct people over the 7 and 30 days ending that day.",
        empty="Once people use PeerLearn, their daily, weekly and monthly activity appears here.",
    )
    chart_for(report.tables["activity"], "line", [1, 2, 3])


def _funnel_table(report: Report, sums: dict[tuple[str, str], tuple[int, float]]) -> None:
    rows = []
    previous: int | None = None
    for step, label in metrics.FUNNEL_STEPS:
        n, seconds = sums.get((f"funnel.{step}", ""), (0, 0.0))
        mean = seconds / n if n and step not in ("requested", "rebooked") else None
        rows.append(
            [label, n, _rate(n, previous) if previous is not None else "–", human_seconds(mean)]
        )
        previous = n
    if not rows[0][1]:
        rows = []
    report.tables["funnel"] = Table(
        "funnel",
        "Booking funnel",
        ["Step", "Count", "Conversion", "Mean time since the step before"],
        rows,
        note="Each step counted on the day it happened; conversion from the step before. "
        "Reviewed: the first review of a session "
        "(time from the session's end). Rebooked: a learner requested the same tutor again.",
        empty="When learners request sessions, each step from request to rebooking shows here.",
    )
    chart_for(report.tables["funnel"], "bar", [1])


SURFACES = (("recommended", "Recommended"), ("search", "Search"), ("help_offer", "Help offers"))


def _match_table(report: Report, sums: dict[tuple[str, str], tuple[int, float]]) -> None:
    rows: list[list[Any]] = []
    for step, label in metrics.MATCH_STEPS:
        counts = [sums.get((f"match.{step}", surface), (0, 0.0))[0] for surface, _ in SURFACES]
        rows.append([label, *counts, sum(counts)])
    shown = rows[0][1:]
    rows.append(
        [
            "Shown → rated 4 or more",
            *(_rate(g, n) for g, n in zip(rows[-1][1:], shown, strict=True)),
        ]
    )
    report.tables["match"] = Table(
        "match",
        "Match success",
        ["Step", *(label for _, label in SURFACES), "All"],
        rows if rows[0][-1] else [],
        note="Lists of tutors shown (a page of search results, a recommendation list, a help "
        "round), each counted once per step on the day the step happened: shown, booked "
        "(within 14 days of being shown), completed, rated 4 or more by the learner.",
        empty="When learners see recommendations and search results, how often they lead to a "
        "good session shows here.",
    )
    chart_for(report.tables["match"], "bar", [1, 2, 3])
    if report.tables["match"].chart:
        report.tables["match"].chart["labels"] = report.tables["match"].chart["labels"][:-1]
        for d in report.tables["match"].chart["datasets"]:
            d["data"] = d["data"][:-1]


def _sessions_table(report: Report, outcomes: dict[str, tuple[int, float]]) -> None:
    total = sum(n for n, _ in outcomes.values())
    labels = {
        "completed": "Completed",
        "no_show": "No-show",
        "cancelled": "Cancelled in time",
        "cancelled_late": "Cancelled late",
    }
    rows = [
        [label, outcomes.get(k, (0, 0.0))[0], _rate(outcomes.get(k, (0, 0.0))[0], total)]
        for k, label in labels.items()
    ]
    hours = outcomes.get("completed", (0, 0.0))[1] / 3600
    report.tables["sessions"] = Table(
        "sessions",
        "Sessions by outcome",
        ["Outcome", "Sessions", "Share"],
        rows if total else [],
        note=f"By the day the session was to start. Hours completed: {hours:,.1f}.",
        empty="Finished, missed and cancelled sessions are counted here by the day they start.",
    )


def _help_table(
    report: Report, requests: dict[str, tuple[int, float]], wait: dict[str, tuple[int, float]]
) -> None:
    asked = sum(n for n, _ in requests.values())
    accepted_n, accepted_seconds = (
        sum(n for n, _ in wait.values()),
        sum(t for _, t in wait.values()),
    )
    histogram = {k: n for k, (n, _) in wait.items()}
    rows: list[list[Any]] = [
        ["Asked", asked],
        ["Accepted by a tutor", requests.get("accepted", (0, 0.0))[0]],
        ["Expired unanswered", requests.get("expired", (0, 0.0))[0]],
        ["Cancelled by the learner", requests.get("cancelled", (0, 0.0))[0]],
        ["Still open", requests.get("open", (0, 0.0))[0]],
        [
            "Mean wait for a tutor",
            human_seconds(accepted_seconds / accepted_n if accepted_n else None),
        ],
        ["Median wait", percentile(histogram, 0.5)],
        ["95th percentile wait", percentile(histogram, 0.95)],
    ]
    report.tables["help"] = Table(
        "help",
        "Help requests",
        ["Measure", "Value"],
        rows if asked else [],
        note="By the day the request was made; waits of accepted requests (percentiles to the "
        "edge of their histogram bucket).",
        empty="Help requests and how fast tutors answer them appear here.",
    )


def _satisfaction_table(report: Report, sums: dict[tuple[str, str], tuple[int, float]]) -> None:
    rows = []
    for dimension in ALL_DIMENSIONS:
        by_score = {s: sums.get((f"rating.{dimension}", str(s)), (0, 0.0))[0] for s in range(1, 6)}
        n = sum(by_score.values())
        if n < MIN_GROUP:
            continue
        total = sum(sums.get((f"rating.{dimension}", str(s)), (0, 0.0))[1] for s in range(1, 6))
        rows.append(
            [dimension.capitalize(), n, f"{total / n:.2f}", *(by_score[s] for s in range(1, 6))]
        )
    report.tables["satisfaction"] = Table(
        "satisfaction",
        "Satisfaction per dimension",
        ["Dimension", "Reviews", "Mean", "1", "2", "3", "4", "5"],
        rows,
        note=f"Clarity to punctuality: learners about tutors; preparedness and engagement: tutors "
        f"about learners. A dimension with fewer than {MIN_GROUP} reviews is not shown.",
        empty=f"Once {MIN_GROUP} reviews score a dimension, its mean and spread show here.",
    )
    chart_for(
        report.tables["satisfaction"],
        "bar",
        [3, 4, 5, 6, 7],
        stacked=True,
        colors=["--danger", "--warn", "--muted", "--accent", "--ok"],  # 1 (bad) to 5 (good)
    )


def _judge_tables(
    report: Report, verdicts: dict[str, tuple[int, float]], waits: dict[str, tuple[int, float]]
) -> None:
    total = sum(n for n, _ in verdicts.values())
    labels = dict(Submission.Verdict.choices)
    ordered = sorted(verdicts.items(), key=lambda kv: (-kv[1][0], labels.get(kv[0], kv[0])))
    rows: list[list[Any]] = [[labels.get(k, k or "—"), n, _rate(n, total)] for k, (n, _) in ordered]
    report.tables["verdicts"] = Table(
        "verdicts",
        "Judge verdicts",
        ["Verdict", "Submissions", "Share"],
        rows,
        note="Submissions judged on the hidden tests, by the day of their verdict.",
        empty="When people submit solutions, the judge's verdicts are counted here.",
    )
    chart_for(report.tables["verdicts"], "bar", [1])
    per_language: dict[str, dict[str, int]] = defaultdict(dict)
    seconds: dict[str, float] = defaultdict(float)
    for key, (n, t) in waits.items():
        language, _, bucket = key.partition(":")
        per_language[language][bucket] = n
        seconds[language] += t
    language_rows = []
    hidden = 0
    for language, histogram in sorted(per_language.items()):
        n = sum(histogram.values())
        if n < MIN_GROUP:
            hidden += 1
            continue
        language_rows.append(
            [
                dict(Submission._meta.get_field("language").choices or []).get(language, language),
                n,
                human_seconds(seconds[language] / n),
                percentile(histogram, 0.5),
                percentile(histogram, 0.95),
            ]
        )
    report.tables["judge_wait"] = Table(
        "judge_wait",
        "Time to verdict per language",
        ["Language", "Submissions", "Mean", "p50", "p95"],
        language_rows,
        note="From submission to verdict: the wait in the queue and the judging. "
        f"Languages with fewer than {MIN_GROUP} submissions are not shown"
        + (f" ({hidden} hidden)." if hidden else "."),
        empty="The judge's queue wait per language appears here after submissions.",
    )


def _community_table(report: Report, sums: dict[tuple[str, str], tuple[int, float]]) -> None:
    def total(name: str) -> int:
        return sum(n for (k, _), (n, _) in sums.items() if k == name)

    submitted = total("verification.submitted")
    decided = {k: v for (n, k), v in sums.items() if n == "verification.decided"}
    decided_n = sum(n for n, _ in decided.values())
    decided_seconds = sum(t for _, t in decided.values())
    rows: list[list[Any]] = [
        ["Forum threads", total("forum.threads")],
        ["Forum replies", total("forum.replies")],
        ["Direct messages", total("messages.sent")],
        ["Problems solved", total("practice.solves")],
        ["Verification requests", submitted],
        ["Verifications approved", decided.get("approved", (0, 0.0))[0]],
        ["Verifications rejected", decided.get("rejected", (0, 0.0))[0]],
        [
            "Mean time to a verification decision",
            human_seconds(decided_seconds / decided_n if decided_n else None),
        ],
    ]
    report.tables["community"] = Table(
        "community",
        "Forum, messages, practice and verification",
        ["Measure", "Count"],
        rows if any(isinstance(r[1], int) and r[1] for r in rows) else [],
        empty="Posts, messages, solves and verification requests are counted here.",
    )
