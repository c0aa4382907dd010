"""Template helpers for scheduling pieces shown on other apps' pages (the public profile)."""

from __future__ import annotations

from typing import Any

from django import template

from peerlearn.accounts.models import User
from peerlearn.scheduling import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def booking_card(context: dict[str, Any], person: User) -> dict[str, Any]:
    """What the profile's booking card needs: can the viewer book this person, and how
    reliable have they been."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    teaches = bool(person.teaching_subjects.all())  # prefetched on the profile page
    return {
        "teaches": teaches,
        "can_book": teaches and (viewer is None or viewer.pk != person.pk),
        "reliability": selectors.reliability_for(user=person),
    }
