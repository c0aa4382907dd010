"""Template context shared by every page: the navigation, defined in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    needs_login: bool = False


# Everything the product will have. An entry whose page does not exist yet is shown as
# "coming soon" (not a link), so the navigation never leads to a dead end. Institutions, the
# subject catalogue and the guide's policies are in the footer; the guide has its own header link.
NAVIGATION = [
    NavItem("Find a tutor", "matching:search", "search"),
    NavItem("My sessions", "scheduling:my_sessions", "calendar", needs_login=True),
    NavItem("Practice", "practice:problems", "code"),
    NavItem("Leaderboard", "gamification:leaderboard", "trophy"),
    NavItem("Discussions", "forum:index", "forum"),
    NavItem("Messages", "messaging:inbox", "chat", needs_login=True),
]


def navigation(request: HttpRequest) -> dict[str, object]:
    items = []
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    for item in NAVIGATION:
        if item.needs_login and not authenticated:
            continue
        try:
            url: str | None = reverse(item.url_name)
        except NoReverseMatch:
            url = None
        active = bool(url) and request.path.startswith(url or "//")
        badge = 0
        count = _BADGES.get(item.url_name)
        if url and authenticated and count is not None:
            badge = count(user)
        items.append(
            {"label": item.label, "url": url, "icon": item.icon, "active": active, "badge": badge}
        )
    return {"nav_items": items}


# Navigation badges: url name → the count for the signed-in user (one cheap query), registered
# by the app that owns the count in its AppConfig.ready() (common imports no app).
_BADGES: dict[str, Callable[[Any], int]] = {}


def register_nav_badge(url_name: str, count: Callable[[Any], int]) -> None:
    """Show ``count(user)`` on the navigation item of ``url_name`` (0 shows nothing)."""
    _BADGES[url_name] = count
