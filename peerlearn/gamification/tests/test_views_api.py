"""The pages (leaderboard with HTMX, my points, badges, the profile card) and the API."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from peerlearn.accounts.models import Institution
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.gamification import rules, services
from peerlearn.gamification.services import Grant

from .factories import completed_session, make_problem, make_solve

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def no_inline_styles(html: str) -> None:
    assert not re.search(r"\sstyle=", html), "the CSP forbids style attributes"


@pytest.fixture
def scene():
    """A tutor and a learner with a finished session and a solve, a week ago at most."""
    tutor = make_tutor(display_name="Tara Tutor")
    learner = make_user(display_name="Lee Learner", timezone="Europe/Berlin")
    ended = timezone.now() - timedelta(hours=1)
    booking = completed_session(tutor, learner, ends_at=ended, subject=make_subject("Graphs"))
    rules.award_session_completed(booking.pk)
    solve = make_solve(learner, make_problem("hard"), at=ended)
    rules.award_problem_solved(solve.pk)
    services.badges_refresh(user_id=learner.pk)
    return tutor, learner, booking


class TestLeaderboardPage:
    def test_anyone_sees_the_global_weekly_board(self, scene) -> None:
        response = Client().get("/leaderboard/")
        html = response.content.decode()
        assert response.status_code == 200
        assert "Lee Learner" in html and "Tara Tutor" in html
        assert html.index("Lee Learner") < html.index("Tara Tutor")  # 50 points before 20
        no_inline_styles(html)

    def test_htmx_gets_the_board_alone_for_the_chosen_period_and_scope(self, scene) -> None:
        tutor, _, booking = scene
        response = logged_in(tutor).get(
            f"/leaderboard/?period=month&scope=subject&id={booking.subject.parent_id}",
            HTTP_HX_REQUEST="true",
        )
        html = response.content.decode()
        assert response.status_code == 200 and "<html" not in html
        assert 'id="board-panel"' in html and "Testing subject" in html
        assert 'aria-current="page">This month' in html and "Lee Learner" in html
        assert "is-me" in html  # the viewer's own row is marked
        no_inline_styles(html)

    def test_the_viewer_outside_the_top_20_sees_their_own_rank(self) -> None:
        now = timezone.now()
        people = [make_user() for _ in range(21)]
        for i, person in enumerate(people):
            services.points_award(
                grant=Grant(person.pk, "problem_solved", i + 1, 100 - i, now, "x")
            )
        html = logged_in(people[-1]).get("/leaderboard/").content.decode()
        assert 'class="board-me"' in html and '<span class="rank">21</span>' in html

    def test_the_institution_board_defaults_to_the_viewers_institution(self) -> None:
        uni = Institution.objects.create(name="Uni of Tests", slug="uni")
        Institution.objects.create(name="Another", slug="another")
        member = make_user(institution=uni)
        html = logged_in(member).get("/leaderboard/?scope=institution").content.decode()
        assert f'<option value="{uni.pk}" selected>' in html

    def test_an_unknown_subject_is_a_404(self) -> None:
        assert Client().get("/leaderboard/?scope=subject&id=987654").status_code == 404


class TestMyPages:
    def test_my_ledger_links_every_award_to_its_cause_in_my_time_zone(self, scene) -> None:
        _, learner, booking = scene
        response = logged_in(learner).get("/leaderboard/me/")
        html = response.content.decode()
        assert response.status_code == 200
        assert f'href="/sessions/{booking.pk}/"' in html and "Took part in a session" in html
        assert "/practice/problems/" in html and "+40" in html
        berlin = booking.ends_at.astimezone(ZoneInfo("Europe/Berlin"))
        assert f"{berlin:%H:%M}" in html
        assert "hm-cell hm-" in html
        no_inline_styles(html)

    def test_the_ledger_is_paginated(self) -> None:
        user = make_user()
        for i in range(30):
            services.points_award(
                grant=Grant(user.pk, "problem_solved", i + 1, 10, timezone.now(), f"Solve {i}")
            )
        client = logged_in(user)
        assert "Page 1 of 2" in client.get("/leaderboard/me/").content.decode()
        assert client.get("/leaderboard/me/?page=2").content.decode().count("+10") == 5

    def test_the_badges_page_shows_rules_progress_and_earned_dates(self, scene) -> None:
        _, learner, _ = scene
        html = logged_in(learner).get("/leaderboard/badges/").content.decode()
        assert "Top Mentor" in html and "20 sessions you taught rated 4.5+" in html
        assert '<progress max="3" value="1"' in html  # Polyglot: Python only
        assert "✓ Earned" in html  # First Accepted
        no_inline_styles(html)

    def test_my_pages_need_a_login(self) -> None:
        for path in ("/leaderboard/me/", "/leaderboard/badges/"):
            assert Client().get(path).status_code == 302

    def test_the_public_profile_shows_the_reputation_card(self, scene) -> None:
        _, learner, _ = scene
        html = Client().get(f"/people/{learner.pk}/").content.decode()
        assert "Reputation" in html and "First Accepted" in html
        assert 'class="heatmap heatmap-mini"' in html
        no_inline_styles(html)


class TestApi:
    def test_my_ledger_badges_and_streak(self, scene) -> None:
        _, learner, booking = scene
        client = logged_in(learner)

        ledger = client.get("/api/v1/gamification/me/ledger").json()
        assert ledger["count"] == 2
        assert {i["cause"] for i in ledger["items"]} == {"session_attended", "problem_solved"}
        session = next(i for i in ledger["items"] if i["cause"] == "session_attended")
        assert session["object_id"] == booking.pk and session["points"] == 10

        badges = {b["key"]: b for b in client.get("/api/v1/gamification/me/badges").json()}
        assert badges["first_accepted"]["met"] and badges["first_accepted"]["earned_at"]
        assert (badges["polyglot"]["value"], badges["polyglot"]["target"]) == (1, 3)

        streak = client.get("/api/v1/gamification/me/streak").json()
        assert streak["current"] == 1 and streak["time_zone"] == "Europe/Berlin"
        assert streak["total_points"] == 50 and streak["days"][-1]["points"] in (0, 50)

    def test_the_leaderboard_with_my_rank(self, scene) -> None:
        tutor, _, booking = scene
        body = (
            logged_in(tutor)
            .get(
                f"/api/v1/gamification/leaderboard?period=week&scope=subject&scope_id={booking.subject_id}"
            )
            .json()
        )
        assert [r["display_name"] for r in body["rows"]] == ["Tara Tutor", "Lee Learner"]
        assert body["me"] == {
            "rank": 1,
            "user_id": tutor.pk,
            "display_name": "Tara Tutor",
            "points": 20,
        }
        assert body["time_zone"] == "UTC"  # the tutor's zone

    def test_the_api_needs_authentication(self) -> None:
        assert Client().get("/api/v1/gamification/me/ledger").status_code == 401
