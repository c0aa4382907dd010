"""Practice partners: Elo ratings from judged Submits, the queue (FIFO, widening windows,
expiry, no self-pairs, nobody already in a session) and the page and API around it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from peerlearn.common.task_backends import run_deferred_tasks
from peerlearn.common.testing import make_user
from peerlearn.matching.partners import events, services
from peerlearn.matching.partners.models import (
    PartnerRequest,
    PracticeRating,
    RatingChange,
)
from peerlearn.practice import services as practice_services
from peerlearn.practice.models import PracticeSession, PracticeTopic, Submission
from peerlearn.practice.tests.factories import ADD_RIGHT, make_add_problem

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def problem():
    return make_add_problem()


def rated(user, rating: float):
    topic = PracticeTopic.objects.get(slug="math")
    PracticeRating.objects.update_or_create(user=user, topic=topic, defaults={"rating": rating})
    return user


def join(user, difficulty: str = "easy") -> PartnerRequest:
    return services.request_join(actor=user, topic="math", difficulty=difficulty)


def state(entry: PartnerRequest) -> str:
    entry.refresh_from_db()
    return entry.status


# --- ratings --------------------------------------------------------------------------------


def submit(user, problem, *, verdict: str, passed: int, total: int = 3, mode: str = "submit"):
    return Submission.objects.create(
        user=user,
        problem=problem,
        language="python",
        code=ADD_RIGHT,
        mode=mode,
        status=Submission.Status.DONE,
        verdict=verdict,
        passed=passed,
        total=total,
        finished_at=timezone.now(),
    )


def judged(submission: Submission, capture) -> None:
    with capture(execute=True):
        events.submission_judged(submission.pk)


def test_an_accepted_submit_is_a_win_against_the_problem(
    problem, django_capture_on_commit_callbacks
) -> None:
    user = make_user()
    judged(submit(user, problem, verdict="accepted", passed=3), django_capture_on_commit_callbacks)
    rating = PracticeRating.objects.get(user=user, topic__slug="math")
    expected = 1 / (1 + 10 ** ((1000 - 1200) / 400))  # an easy problem is rated 1000
    assert rating.rating == pytest.approx(1200 + 32 * (1 - expected))
    assert rating.rating == pytest.approx(1207.69, abs=0.01)
    assert rating.games == 1


def test_a_partial_result_scores_the_share_passed_and_rating_is_idempotent(
    problem, django_capture_on_commit_callbacks
) -> None:
    user = make_user()
    wrong = submit(user, problem, verdict="wrong_answer", passed=1)
    judged(wrong, django_capture_on_commit_callbacks)
    judged(wrong, django_capture_on_commit_callbacks)  # a retried hook changes nothing
    rating = PracticeRating.objects.get(user=user)
    expected = 1 / (1 + 10 ** ((1000 - 1200) / 400))
    assert rating.rating == pytest.approx(1200 + 32 * (1 / 3 - expected))
    assert rating.games == 1 and RatingChange.objects.count() == 1


def test_a_harder_problem_moves_the_rating_more(django_capture_on_commit_callbacks) -> None:
    hard = make_add_problem("add-hard", difficulty="hard")
    user = make_user()
    judged(submit(user, hard, verdict="accepted", passed=3), django_capture_on_commit_callbacks)
    expected = 1 / (1 + 10 ** ((1800 - 1200) / 400))
    assert PracticeRating.objects.get(user=user).rating == pytest.approx(1200 + 32 * (1 - expected))


def test_runs_failures_of_the_judge_and_solved_problems_are_not_rated(
    problem, django_capture_on_commit_callbacks
) -> None:
    user = make_user()
    for submission in (
        submit(user, problem, verdict="ran", passed=2, mode="run"),
        submit(user, problem, verdict="internal_error", passed=0),
    ):
        judged(submission, django_capture_on_commit_callbacks)
    assert not PracticeRating.objects.exists()
    judged(submit(user, problem, verdict="accepted", passed=3), django_capture_on_commit_callbacks)
    after_first = PracticeRating.objects.get(user=user).rating
    judged(submit(user, problem, verdict="accepted", passed=3), django_capture_on_commit_callbacks)
    judged(
        submit(user, problem, verdict="wrong_answer", passed=0), django_capture_on_commit_callbacks
    )
    assert PracticeRating.objects.get(user=user).rating == after_first


def test_a_learner_joins_with_their_topic_rating(problem, clock) -> None:
    user = rated(make_user(), 1333)
    assert join(user).rating == 1333
    assert join(rated(make_user(), 1200)).status == "waiting"  # 133 apart: not yet


# --- pairing --------------------------------------------------------------------------------


def test_two_learners_land_in_one_new_private_session(problem, clock) -> None:
    alice, bob = make_user(display_name="Alice"), make_user(display_name="Bob")
    first = join(alice)
    assert first.status == "waiting"
    second = join(bob)
    assert second.status == "matched" and state(first) == "matched"
    session = PracticeSession.objects.get()
    assert (session.host, session.guest) == (alice, bob)
    assert session.visibility == "private" and session.status == "active"
    assert session.problem == problem
    first.refresh_from_db()
    assert first.session == second.session == session
    assert (first.partner, second.partner) == (bob, alice)


def test_the_oldest_waiting_learner_is_matched_first(problem, clock) -> None:
    early = join(rated(make_user(), 1300))
    clock.shift(1)
    late = join(rated(make_user(), 1100))  # 200 apart: neither takes the other
    assert (state(early), state(late)) == ("waiting", "waiting")
    clock.shift(1)
    newcomer = make_user()  # 1200: within 100 of both
    join(newcomer)
    assert (state(early), state(late)) == ("matched", "waiting")
    assert PracticeSession.objects.get().host == early.user


def test_fifo_is_by_arrival_not_by_rating(problem, clock) -> None:
    early = join(rated(make_user(), 1140))
    clock.shift(1)
    late = join(rated(make_user(), 1260))  # 120 apart
    clock.shift(1)
    join(rated(make_user(), 1240))  # closer to ``late``, but ``early`` came first
    assert (state(early), state(late)) == ("matched", "waiting")


def test_the_rating_window_widens_while_waiting(problem, clock) -> None:
    low = join(rated(make_user(), 1200))
    high = join(rated(make_user(), 1400))  # 200 apart: ±100 now
    assert services.rating_window(0) == 100
    clock.shift(15)  # ±150
    run_deferred_tasks(until=timezone.now())
    assert (state(low), state(high)) == ("waiting", "waiting")
    clock.shift(15)  # ±200
    run_deferred_tasks(until=timezone.now())
    assert (state(low), state(high)) == ("matched", "matched")
    assert services.rating_window(10_000) == 400  # the cap


def test_the_window_is_capped(problem, clock, settings) -> None:
    settings.PARTNERS_WINDOW_MAX = 150
    low = join(rated(make_user(), 1200))
    join(rated(make_user(), 1400))
    for _ in range(10):
        clock.shift(15)
        run_deferred_tasks(until=timezone.now())
    assert state(low) == "waiting"


def test_queue_entries_expire(problem, clock) -> None:
    lonely = join(make_user())
    clock.shift(10 * 60 + 1)
    run_deferred_tasks(until=timezone.now())
    assert state(lonely) == "expired"
    newcomer = join(make_user())
    assert newcomer.status == "waiting" and not PracticeSession.objects.exists()


def test_an_expired_entry_is_not_matched_even_without_the_task(problem, clock) -> None:
    lonely = join(make_user())
    clock.shift(10 * 60)
    assert join(make_user()).status == "waiting"
    assert state(lonely) == "expired"


def test_nobody_is_paired_with_themselves(problem, clock) -> None:
    user = make_user()
    first = join(user)
    assert join(user).pk == first.pk  # asking again keeps the entry
    assert PartnerRequest.objects.filter(user=user).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerRequest.objects.create(
            user=user,
            topic=first.topic,
            difficulty="easy",
            rating=1200,
            created_at=timezone.now(),
            expires_at=timezone.now() + timedelta(minutes=1),
        )
    clock.shift(60)
    run_deferred_tasks(until=timezone.now())
    assert state(first) == "waiting" and not PracticeSession.objects.exists()


def test_asking_for_something_else_replaces_the_entry(problem, clock) -> None:
    make_add_problem("add-medium", difficulty="medium")
    user = make_user()
    first = join(user)
    second = join(user, "medium")
    assert state(first) == "left" and second.status == "waiting"


def test_other_topics_and_difficulties_are_other_queues(problem, clock) -> None:
    make_add_problem("add-medium", difficulty="medium")
    easy = join(make_user())
    medium = join(make_user(), "medium")
    assert (state(easy), state(medium)) == ("waiting", "waiting")


def test_a_learner_in_a_live_session_is_not_matched_again(problem, clock) -> None:
    busy, other = make_user(), make_user()
    session = practice_services.session_create(actor=busy, problem=problem, visibility="public")
    busy_entry = join(busy)
    other_entry = join(other)
    assert (state(busy_entry), state(other_entry)) == ("waiting", "waiting")
    practice_services.session_end(actor=busy, uid=str(session.uid))
    clock.shift(15)
    run_deferred_tasks(until=timezone.now())
    assert (state(busy_entry), state(other_entry)) == ("matched", "matched")


def test_a_matched_pair_is_not_matched_again(problem, clock) -> None:
    a, b, c = make_user(), make_user(), make_user()
    join(a)
    join(b)
    third = join(c)  # a and b are in their session now
    assert third.status == "waiting" and PracticeSession.objects.count() == 1


def test_matching_twice_finds_nothing_more(problem, clock) -> None:
    first = join(make_user())
    join(make_user())
    assert services.match_queue(topic_id=first.topic_id, difficulty="easy") == []
    assert PracticeSession.objects.count() == 1


def test_joining_needs_a_problem_for_the_topic_and_difficulty(problem) -> None:
    from peerlearn.common.errors import ServiceError

    with pytest.raises(ServiceError) as excinfo:
        join(make_user(), "hard")
    assert excinfo.value.code == "no_problem"


def test_leaving_the_queue(problem, clock) -> None:
    user = make_user()
    entry = join(user)
    left = services.request_leave(actor=user)
    assert left is not None and left.pk == entry.pk
    assert state(entry) == "left"
    assert services.request_leave(actor=user) is None
    join(make_user())
    assert state(entry) == "left"


# --- the page and the API -------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_the_place_and_expected_wait(problem, clock) -> None:
    # A past match of this queue: one waited 40 s, the other was matched on arrival.
    join(make_user())
    clock.shift(40)
    join(rated(make_user(), 1250))
    waiting = rated(make_user(), 1600)
    join(rated(make_user(), 1900))
    client = client_for(waiting)
    assert client.get("/practice/partners/").status_code == 200
    response = client.post("/practice/partners/", {"topic": "math", "difficulty": "easy"})
    assert response.status_code == 302
    page = client.get("/practice/partners/").content.decode()
    assert "#2</strong> of 2 waiting" in page
    assert "about 20 s" in page and "Leave the queue" in page  # the median of 40 and 0
    assert 'hx-trigger="every 2s' in page
    client.post("/practice/partners/leave/")
    assert "You left the queue" in client.get("/practice/partners/").content.decode()
    assert PartnerRequest.objects.get(user=waiting).status == "left"


def test_the_poll_redirects_both_to_the_session(problem, clock) -> None:
    alice, bob = make_user(), make_user()
    a, b = client_for(alice), client_for(bob)
    a.post("/practice/partners/", {"topic": "math", "difficulty": "easy"})
    entry = PartnerRequest.objects.get(user=alice)
    partial = a.get(
        f"/practice/partners/status/?request={entry.pk}", headers={"HX-Request": "true"}
    )
    assert "HX-Redirect" not in partial and "#1</strong> of 1" in partial.content.decode()
    b.post("/practice/partners/", {"topic": "math", "difficulty": "easy"})
    url = f"/practice/s/{PracticeSession.objects.get().uid}/"
    partial = a.get(
        f"/practice/partners/status/?request={entry.pk}", headers={"HX-Request": "true"}
    )
    assert partial["HX-Redirect"] == url
    assert a.get(url).status_code == 200 and b.get(url).status_code == 200


def test_the_form_shows_refusals(problem) -> None:
    client = client_for(make_user())
    response = client.post("/practice/partners/", {"topic": "math", "difficulty": "hard"})
    assert response.status_code == 400 and b"No problem matches" in response.content


def test_the_page_needs_a_sign_in() -> None:
    assert Client().get("/practice/partners/").status_code == 302


def test_the_api(problem, clock, django_capture_on_commit_callbacks) -> None:
    alice, bob = make_user(), make_user()
    a, b = client_for(alice), client_for(bob)
    assert a.get("/api/v1/practice/partners/queue").json()["state"] == "none"
    body = json.dumps({"topic": "math", "difficulty": "easy"})
    joined = a.post("/api/v1/practice/partners/queue", body, content_type="application/json")
    assert joined.status_code == 201, joined.content
    assert joined.json()["state"] == "waiting" and joined.json()["place"] == 1
    assert a.delete("/api/v1/practice/partners/queue").json()["state"] == "left"
    a.post("/api/v1/practice/partners/queue", body, content_type="application/json")
    matched = b.post("/api/v1/practice/partners/queue", body, content_type="application/json")
    session = PracticeSession.objects.get()
    assert matched.json()["state"] == "matched"
    assert matched.json()["session_url"] == f"/practice/s/{session.uid}/"
    assert a.get("/api/v1/practice/partners/queue").json()["session_uid"] == str(session.uid)
    bad = a.post(
        "/api/v1/practice/partners/queue",
        json.dumps({"topic": "nope", "difficulty": "easy"}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    judged(submit(alice, problem, verdict="accepted", passed=3), django_capture_on_commit_callbacks)
    ratings = a.get("/api/v1/practice/partners/ratings").json()
    assert ratings == [{"topic": "math", "topic_name": "Math", "rating": 1207.7, "games": 1}]
    assert Client().get("/api/v1/practice/partners/queue").status_code == 401
