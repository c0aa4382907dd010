"""Reviews shown on other apps' pages (the public profile, a session's page) and small display
helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from peerlearn.accounts.models import User
from peerlearn.reviews import selectors
from peerlearn.reviews.selectors import ReviewState, TrendPoint
from peerlearn.scheduling.models import Booking

register = template.Library()


@register.simple_tag
def review_state(user: User, booking: Booking) -> ReviewState | None:
    """``{% review_state user booking as reviews %}`` on a session's page: what the user can
    write and read about a completed session (``selectors.review_state_for``), else None."""
    if booking.status != Booking.Status.COMPLETED:
        return None
    return selectors.review_state_for(user, booking)


SPARK_WIDTH = 150
SPARK_HEIGHT = 40
SPARK_PAD = 4


@dataclass(frozen=True)
class SparkPoint:
    x: float
    y: float
    label: str
    average: float | None
    count: int


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    points: list[SparkPoint]
    polyline: str  # "x,y x,y" of the months that have an average
    summary: str  # the same data in words, for screen readers

    @property
    def rated(self) -> list[SparkPoint]:
        """The months that have an average."""
        return [p for p in self.points if p.average is not None]

    @property
    def drawable(self) -> bool:
        """A line needs two months with an average: one is a dot on a hairline, said in words."""
        return len(self.rated) >= 2


def sparkline(trend: list[TrendPoint]) -> Sparkline:
    """SVG coordinates for the monthly averages (1★ at the bottom, 5★ at the top)."""
    n = len(trend)
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(n - 1, 1)
    usable = SPARK_HEIGHT - 2 * SPARK_PAD
    points = []
    for i, point in enumerate(trend):
        y = (
            SPARK_PAD + usable * (5 - point.average) / 4
            if point.average is not None
            else SPARK_HEIGHT - SPARK_PAD
        )
        points.append(
            SparkPoint(
                x=round(SPARK_PAD + i * step, 1),
                y=round(y, 1),
                label=point.month.strftime("%b %Y"),
                average=point.average,
                count=point.count,
            )
        )
    polyline = " ".join(f"{p.x},{p.y}" for p in points if p.average is not None)
    summary = "; ".join(
        f"{p.label}: {p.average:.1f}" if p.average is not None else f"{p.label}: no reviews"
        for p in points
    )
    return Sparkline(SPARK_WIDTH, SPARK_HEIGHT, points, polyline, summary)


@register.filter
def stars(value: float | int | None) -> str:
    """★★★★☆ for 4 (rounded to the nearest whole star)."""
    if value is None:
        return ""
    full = max(0, min(5, round(float(value))))
    return "★" * full + "☆" * (5 - full)


@register.filter
def score_label(name: str) -> str:
    return name.replace("_", " ").capitalize()


@register.inclusion_tag("reviews/_profile_rating.html", takes_context=True)
def profile_rating(context: dict[str, Any], person: User) -> dict[str, Any]:
    """A tutor's ratings (Bayesian average, dimensions, trend, recent comments) and tutors' view
    of a learner in aggregate only."""
    tutor = selectors.tutor_rating(person)
    teaches = tutor.count > 0 or person.teaching_subjects.exists()
    learner = selectors.learner_rating(person)
    return {
        "person": person,
        "request": context.get("request"),
        "tutor": tutor if teaches else None,
        "spark": sparkline(tutor.trend) if teaches and tutor.count else None,
        "learner": learner if learner.count else None,
    }
