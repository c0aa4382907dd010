"""Practice services: drafts, submissions and their judging in the real sandbox, sessions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer
from django.utils import timezone

from peerlearn.common.errors import Conflict, Forbidden, NotFound, ServiceError
from peerlearn.common.ratelimit import RateLimited
from peerlearn.common.testing import make_user
from peerlearn.live import selectors as live_selectors
from peerlearn.live.models import Room
from peerlearn.practice import events, services
from peerlearn.practice.models import Draft, PracticeSession, Solve, Submission

from .factories import (
    ADD_RIGHT,
    ADD_WRONG,
    HIDDEN_MARKER,
    make_add_problem,
    make_stdio_problem,
    require_sandbox,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged(django_capture_on_commit_callbacks):
    """``submission_create`` then its on-commit work (the judging task), as a request would."""

    def submit(**kwargs) -> Submission:
        with django_capture_on_commit_callbacks(execute=True):
            submission = services.submission_create(**kwargs)
        submission.refresh_from_db()
        return submission

    return submit


@pytest.fixture(autouse=True)
def fresh_layer():
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def _listen(group: str) -> tuple[object, str]:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return layer, channel


def _drain(layer: object, channel: str) -> list[dict]:
    received = []

    async def take() -> None:
        import asyncio

        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), 0.05)  # type: ignore[attr-defined]
            except TimeoutError:
                return
            received.append(message["event"])

    async_to_sync(take)()
    return received


# --- drafts ---------------------------------------------------------------------------------


def test_a_draft_is_kept_per_user_problem_and_language() -> None:
    problem = make_add_problem()
    ada, bo = make_user(), make_user()
    services.draft_save(actor=ada, problem=problem, language="python", code="x = 1")
    services.draft_save(actor=ada, problem=problem, language="python", code="x = 2")
    services.draft_save(actor=ada, problem=problem, language="cpp", code="int x;")
    services.draft_save(actor=bo, problem=problem, language="python", code="y = 1")
    assert Draft.objects.count() == 3
    assert Draft.objects.get(user=ada, language="python").code == "x = 2"


@pytest.mark.parametrize(
    ("language", "code", "error"),
    [("ruby", "puts 1", "language"), ("python", "x" * (64 * 1024 + 1), "too_long")],
)
def test_a_draft_in_an_unknown_language_or_too_long_is_refused(language, code, error) -> None:
    with pytest.raises(ServiceError) as caught:
        services.draft_save(
            actor=make_user(), problem=make_add_problem(), language=language, code=code
        )
    assert caught.value.code == error


# --- submissions: validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"code": "   "}, "empty"),
        ({"mode": "deploy"}, "mode"),
        ({"custom_input": "[1, 2"}, "invalid_input"),
        ({"custom_input": "[1]"}, "invalid_input"),
        ({"custom_input": '{"a": 1}'}, "invalid_input"),
        ({"custom_input": "[1, 2]", "mode": "submit"}, "invalid_input"),
    ],
)
def test_bad_submissions_are_refused_before_judging(kwargs, code) -> None:
    arguments = {"language": "python", "code": ADD_RIGHT, "mode": "run", **kwargs}
    with pytest.raises(ServiceError) as caught:
        services.submission_create(actor=make_user(), problem=make_add_problem(), **arguments)
    assert caught.value.code == code
    assert not Submission.objects.exists()


def test_one_submission_at_a_time(settings) -> None:
    problem, ada = make_add_problem(), make_user()
    Submission.objects.create(user=ada, problem=problem, language="python", code="x", mode="run")
    with pytest.raises(Conflict) as caught:
        services.submission_create(
            actor=ada, problem=problem, language="python", code=ADD_RIGHT, mode="run"
        )
    assert caught.value.code == "busy"


def test_a_submission_the_worker_never_finished_stops_blocking_after_a_while() -> None:
    problem, ada = make_add_problem(), make_user()
    stuck = Submission.objects.create(
        user=ada, problem=problem, language="python", code="x", mode="run", status="running"
    )
    Submission.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - timedelta(seconds=services.STALE_AFTER_SECONDS + 1)
    )
    services.submission_create(
        actor=ada, problem=problem, language="python", code=ADD_RIGHT, mode="run"
    )
    stuck.refresh_from_db()
    assert stuck.status == "failed" and "did not finish" in stuck.error


def test_submissions_are_rate_limited_per_minute(settings) -> None:
    settings.PRACTICE_SUBMISSIONS_PER_MINUTE = 2
    problem, ada = make_add_problem(), make_user()
    for _ in range(2):
        submission = Submission.objects.create(
            user=ada, problem=problem, language="python", code="x", mode="run", status="done"
        )
        services.ratelimit.hit(f"judge:{ada.pk}", window_seconds=60)
    with pytest.raises(RateLimited):
        services.submission_create(
            actor=ada, problem=problem, language="python", code=ADD_RIGHT, mode="run"
        )
    assert Submission.objects.count() == 2 and submission.pk


# --- what a submitter sees of a test ---------------------------------------------------------


def test_hidden_tests_show_only_verdict_time_memory_and_the_redacted_error() -> None:
    test = {"args": [HIDDEN_MARKER, 1], "expected": HIDDEN_MARKER + 1, "hidden": True}
    result = {
        "index": 0,
        "verdict": "runtime_error",
        "time_ms": 5,
        "memory_kb": 900,
        "output": str(HIDDEN_MARKER),
        "stdout": f"debug {HIDDEN_MARKER}",
        "error": "ValueError on line 3",
        "hidden": True,
    }
    shown = services.shown_result(test, result, hidden=True)
    assert set(shown) == {"index", "verdict", "time_ms", "memory_kb", "error"}
    assert shown["error"] == "ValueError on line 3"
    assert str(HIDDEN_MARKER) not in json.dumps(shown)
    # A result the judge did not redact (not marked hidden) says nothing of its error.
    raw = {**result, "hidden": False, "error": f"Traceback ... {HIDDEN_MARKER}"}
    assert services.shown_result(test, raw, hidden=True)["error"] == ""


def test_shown_tests_show_input_expected_and_output() -> None:
    shown = services.shown_result(
        {"args": [[1, 2], "x"], "expected": [3]},
        {"verdict": "wrong_answer", "output": "[4]", "stdout": "hi\n", "error": ""},
        hidden=False,
    )
    assert (
        shown["input"] == '[1, 2], "x"' and shown["expected"] == "[3]" and shown["output"] == "[4]"
    )


# --- judging in the real sandbox --------------------------------------------------------------


def test_run_judges_the_samples_and_keeps_the_draft(judged) -> None:
    require_sandbox()
    problem, ada = make_add_problem(), make_user()
    submission = judged(actor=ada, problem=problem, language="python", code=ADD_RIGHT, mode="run")
    assert submission.status == "done" and submission.verdict == "accepted"
    assert (submission.passed, submission.total) == (2, 2)
    assert [r["input"] for r in submission.results] == ["1, 2", "-4, 4"]
    assert Draft.objects.get(user=ada, problem=problem, language="python").code == ADD_RIGHT
    assert not Solve.objects.exists()  # a Run never counts as solving


def test_a_wrong_submit_is_judged_on_hidden_tests_without_revealing_them(judged) -> None:
    require_sandbox()
    problem, ada = make_add_problem(), make_user()
    submission = judged(
        actor=ada, problem=problem, language="python", code=ADD_WRONG, mode="submit"
    )
    assert submission.verdict == "wrong_answer"
    # Judging stops at the first hidden test that fails: the other two are not run.
    assert submission.total == 3 and submission.passed == 0
    assert [r["verdict"] for r in submission.results] == ["wrong_answer", "skipped", "skipped"]
    assert str(HIDDEN_MARKER) not in json.dumps(submission.results)
    assert not Solve.objects.exists()


def test_custom_input_runs_without_an_expected_answer(judged) -> None:
    require_sandbox()
    submission = judged(
        actor=make_user(),
        problem=make_add_problem(),
        language="python",
        code=ADD_RIGHT,
        mode="run",
        custom_input="[40, 2]",
    )
    assert submission.verdict == "ran"
    assert submission.results[0]["output"] == "42" and "expected" not in submission.results[0]


def test_a_stdio_problem_is_judged_on_standard_input(judged) -> None:
    require_sandbox()
    problem = make_stdio_problem()
    code = "import sys\nprint(sum(map(int, sys.stdin.read().split())))\n"
    submission = judged(
        actor=make_user(), problem=problem, language="python", code=code, mode="submit"
    )
    assert submission.verdict == "accepted"


def test_the_first_accepted_submit_records_one_solve(judged) -> None:
    require_sandbox()
    problem, ada = make_add_problem(), make_user()
    for _ in range(2):
        judged(actor=ada, problem=problem, language="python", code=ADD_RIGHT, mode="submit")
    solve = Solve.objects.get()
    assert solve.submission == Submission.objects.order_by("created_at").first()


def test_a_compile_error_shows_the_compilers_message(judged) -> None:
    require_sandbox()
    submission = judged(
        actor=make_user(),
        problem=make_add_problem(),
        language="cpp",
        code="int addNumbers(int a, int b) { return a + }\n",
        mode="submit",
    )
    assert submission.verdict == "compile_error"
    assert "expected" in submission.compile_output  # g++: "expected primary-expression"


def test_progress_goes_to_the_submitter_and_in_a_session_to_both_without_code(judged) -> None:
    require_sandbox()
    problem = make_add_problem()
    host, guest = make_user(), make_user()
    session = services.session_create(actor=host, problem=problem, visibility="public")
    session = services.session_join(actor=guest, uid=str(session.uid))
    layer, channel = _listen(events.session_group(session.pk))
    judged(
        actor=guest,
        problem=problem,
        language="python",
        code=ADD_RIGHT,
        mode="submit",
        session=session,
    )
    received = _drain(layer, channel)
    progress = [e for e in received if e["type"] == "progress"]
    assert progress[0]["state"] == "queued" and progress[-1]["state"] == "done"
    assert progress[-1]["verdict"] == "accepted" and progress[-1]["passed"] == 3
    assert [e["done"] for e in progress if e["state"] == "running"] == [0, 1, 2, 3]
    assert all(e["user"]["id"] == guest.pk for e in progress)
    assert "return a + b" not in json.dumps(received)


# --- sessions ---------------------------------------------------------------------------------


def test_a_session_gets_a_room_for_its_two_people() -> None:
    host, guest, other = make_user(), make_user(), make_user()
    session = services.session_create(actor=host, problem=make_add_problem(), visibility="public")
    room = Room.objects.get(practice_session=session)
    assert live_selectors.access_room(user=host, room_id=room.pk, live=True) == room
    with pytest.raises(NotFound):
        live_selectors.access_room(user=guest, room_id=room.pk)
    services.session_join(actor=guest, uid=str(session.uid))
    assert live_selectors.access_room(user=guest, room_id=room.pk, live=True) == room
    with pytest.raises(NotFound):
        live_selectors.access_room(user=other, room_id=room.pk)
    services.session_end(actor=guest, uid=str(session.uid))
    with pytest.raises(Forbidden):
        live_selectors.access_room(user=host, room_id=room.pk, live=True)
    assert live_selectors.access_room(user=host, room_id=room.pk) == room  # the record stays


def test_a_pair_session_both_people_left_ends_after_a_while(settings: object) -> None:
    from django.core.management import call_command

    from peerlearn.live.models import RoomPresence

    host, guest = make_user(), make_user()
    left = services.session_create(actor=host, problem=make_add_problem(), visibility="public")
    services.session_join(actor=guest, uid=str(left.uid))
    present = services.session_create(
        actor=make_user(), problem=make_add_problem("add-three"), visibility="public"
    )
    services.session_join(actor=make_user(), uid=str(present.uid))
    waiting = services.session_create(
        actor=make_user(), problem=make_add_problem("add-four"), visibility="public"
    )
    later = timezone.now() + timedelta(minutes=11)
    PracticeSession.objects.filter(pk__in=[left.pk, present.pk]).update(
        started_at=timezone.now() - timedelta(minutes=30)
    )
    RoomPresence.objects.create(
        room=Room.objects.get(practice_session=present),
        channel="still-here",
        user=present.host,
        seen_at=later - timedelta(minutes=1),
    )
    RoomPresence.objects.create(
        room=Room.objects.get(practice_session=left),
        channel="long-gone",
        user=host,
        seen_at=timezone.now() - timedelta(minutes=20),
    )

    assert services.sessions_end_abandoned(now=later) == 1
    call_command("end_abandoned_practice", verbosity=0)  # the periodic job: nothing more

    statuses = dict(PracticeSession.objects.values_list("pk", "status"))
    assert statuses[left.pk] == PracticeSession.Status.ENDED
    assert statuses[present.pk] == PracticeSession.Status.ACTIVE
    assert statuses[waiting.pk] == PracticeSession.Status.WAITING


def test_exactly_two_people_a_third_is_refused() -> None:
    host, guest, third = make_user(), make_user(), make_user()
    session = services.session_create(actor=host, problem=make_add_problem(), visibility="public")
    assert services.session_join(actor=host, uid=str(session.uid)).guest is None  # own session
    services.session_join(actor=guest, uid=str(session.uid))
    with pytest.raises(Conflict) as caught:
        services.session_join(actor=third, uid=str(session.uid))
    assert caught.value.code == "full"
    session.refresh_from_db()
    assert session.guest == guest and session.status == PracticeSession.Status.ACTIVE


def test_private_sessions_need_the_password_and_limit_guesses(settings) -> None:
    settings.PRACTICE_PASSWORD_ATTEMPTS = 3
    host, guest = make_user(), make_user()
    with pytest.raises(ServiceError) as caught:
        services.session_create(
            actor=host, problem=make_add_problem(), visibility="private", password="ab"
        )
    assert caught.value.field == "password"
    session = services.session_create(
        actor=host, problem=make_add_problem("other"), visibility="private", password="open sesame"
    )
    assert session.password_hash != "open sesame"
    for _ in range(3):
        with pytest.raises(Forbidden):
            services.session_join(actor=guest, uid=str(session.uid), password="guess")
    with pytest.raises(RateLimited):  # even the right password, once the limit is reached
        services.session_join(actor=guest, uid=str(session.uid), password="open sesame")
    assert services.session_join(
        actor=make_user(), uid=str(session.uid), password="open sesame"
    ).guest


def test_an_ended_session_cannot_be_joined_or_submitted_to() -> None:
    host, guest = make_user(), make_user()
    problem = make_add_problem()
    session = services.session_create(actor=host, problem=problem, visibility="public")
    services.session_end(actor=host, uid=str(session.uid))
    with pytest.raises(Conflict):
        services.session_join(actor=guest, uid=str(session.uid))
    session.refresh_from_db()
    with pytest.raises(Conflict):
        services.submission_create(
            actor=host,
            problem=problem,
            language="python",
            code=ADD_RIGHT,
            mode="run",
            session=session,
        )


def test_a_session_submission_must_be_about_its_problem() -> None:
    host = make_user()
    session = services.session_create(actor=host, problem=make_add_problem(), visibility="public")
    with pytest.raises(ServiceError) as caught:
        services.submission_create(
            actor=host,
            problem=make_stdio_problem(),
            language="python",
            code="print(1)",
            mode="run",
            session=session,
        )
    assert caught.value.code == "problem"


def test_open_sessions_per_host_are_limited(settings) -> None:
    settings.PRACTICE_MAX_OPEN_SESSIONS = 2
    host, problem = make_user(), make_add_problem()
    for _ in range(2):
        services.session_create(actor=host, problem=problem, visibility="public")
    with pytest.raises(Conflict):
        services.session_create(actor=host, problem=problem, visibility="public")


def test_random_problem_prefers_unsolved_ones_matching_the_filters() -> None:
    ada = make_user()
    easy, medium = make_add_problem(), make_stdio_problem()
    assert services.random_problem(difficulty="medium") == medium
    assert services.random_problem(topic="strings") == medium
    submission = Submission.objects.create(
        user=ada, problem=easy, language="python", code="x", mode="submit"
    )
    Solve.objects.create(
        user=ada, problem=easy, submission=submission, solved_at=submission.created_at
    )
    assert {services.random_problem(exclude_solved_by=ada) for _ in range(10)} == {medium}
    with pytest.raises(ServiceError):
        services.random_problem(difficulty="hard")


def test_without_bubblewrap_a_submission_fails_with_what_to_install(judged, monkeypatch) -> None:
    monkeypatch.setenv("PEERLEARN_BWRAP", "/nonexistent/bwrap")
    submission = judged(
        actor=make_user(), problem=make_add_problem(), language="python", code=ADD_RIGHT, mode="run"
    )
    assert submission.status == Submission.Status.FAILED
    assert submission.verdict == "internal_error"
    assert "bubblewrap" in submission.error and "apt install" in submission.error


def test_a_first_solve_earns_points_once_and_a_rerun_nothing(judged) -> None:
    from peerlearn.gamification.models import PointAward
    from peerlearn.gamification.rules import PROBLEM_SOLVED

    require_sandbox()
    problem, ada = make_add_problem(), make_user()
    for _ in range(2):
        judged(actor=ada, problem=problem, language="python", code=ADD_RIGHT, mode="submit")
    awards = list(PointAward.objects.filter(user=ada, cause=PROBLEM_SOLVED))
    assert len(awards) == 1 and awards[0].points > 0
    assert awards[0].object_id == problem.pk  # keyed by the problem: only the first solve counts
