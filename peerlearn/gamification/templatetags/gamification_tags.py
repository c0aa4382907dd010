"""Points, badges and streaks shown on other apps' pages (the public profile)."""

from __future__ import annotations

from typing import Any

from django import template

from peerlearn.accounts.models import User

from .. import selectors

register = template.Library()


@register.inclusion_tag("gamification/_profile_reputation.html", takes_context=True)
def profile_reputation(context: dict[str, Any], person: User) -> dict[str, Any]:
    """Total points, current streak, earned badges and a mini heat map (days in the person's
    own time zone). Public: nothing here says what the points were for."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    return {
        "person": person,
        "request": request,
        "total": selectors.points_total(user=person),
        "streak": selectors.streak_get(user=person),
        "earned": selectors.earned_badges(user=person),
        "heatmap": selectors.heatmap_get(user=person),
        "is_self": viewer is not None and viewer.is_authenticated and viewer.pk == person.pk,
    }
