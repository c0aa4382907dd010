"""Writes for practice: importing problems, drafts, submissions and their judging, practice
sessions. Judging happens in the task worker (``tasks.judge_submission``); this module stores
what the sandbox answers and publishes progress, never code."""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.common import hooks, ratelimit
from peerlearn.common.errors import Conflict, Forbidden, Invalid, NotFound
from peerlearn.common.markdown import render_markdown
from peerlearn.common.realtime import broadcast, person
from peerlearn.live.models import Room, RoomPresence

from . import events, selectors
from .bank import ProblemSpec
from .hooks import ProblemSolved, SubmitAccepted, SubmitJudged
from .models import (
    Draft,
    Language,
    PracticeSession,
    PracticeTopic,
    Problem,
    ProblemTestSet,
    Solve,
    Submission,
)

logger = logging.getLogger(__name__)

MAX_CODE_CHARS = 64 * 1024
MAX_CUSTOM_INPUT_CHARS = 64 * 1024
OUTPUT_LIMIT_KB = 256
HIDDEN_ERROR_CHARS = 300
SHOWN_TEXT_CHARS = 4000
STALE_AFTER_SECONDS = 10 * 60  # longer than any submission's wall-clock budget in the judge


# --- the problem bank -----------------------------------------------------------------------


def _topic(slug: str) -> PracticeTopic:
    name = slug.replace("-", " ").capitalize()
    topic, _ = PracticeTopic.objects.get_or_create(slug=slug, defaults={"name": name})
    return topic


def problem_import(spec: ProblemSpec) -> tuple[Problem, bool]:
    """Create or update the problem ``spec.slug``; returns (problem, created)."""
    constraints_md = "\n".join(f"- {line}" for line in spec.constraints)
    with transaction.atomic():
        problem, created = Problem.objects.update_or_create(
            slug=spec.slug,
            defaults={
                "title": spec.title,
                "difficulty": spec.difficulty,
                "kind": spec.kind,
                "signature": spec.signature,
                "compare": spec.compare,
                "float_tolerance": spec.float_tolerance,
                "time_limit_ms": spec.time_limit_ms,
                "memory_limit_mb": spec.memory_limit_mb,
                "statement": spec.statement,
                "statement_html": render_markdown(spec.statement),
                "constraints": spec.constraints,
                "constraints_html": render_markdown(constraints_md) if constraints_md else "",
                "editorial": spec.editorial,
                "editorial_html": render_markdown(spec.editorial) if spec.editorial else "",
                "starter_code": spec.starter_code,
                "samples": spec.samples,
                "hidden_test_count": len(spec.hidden),
            },
        )
        problem.topics.set([_topic(slug) for slug in spec.topics])
        ProblemTestSet.objects.update_or_create(
            problem=problem,
            defaults={"hidden": spec.hidden, "reference_solutions": spec.reference_solutions},
        )
    return problem, created


def problem_spec(problem: Problem) -> ProblemSpec:
    """The inverse of ``problem_import``: what ``export_problems`` writes."""
    test_set = ProblemTestSet.objects.get(problem=problem)
    return ProblemSpec(
        slug=problem.slug,
        title=problem.title,
        difficulty=problem.difficulty,
        topics=list(problem.topics.values_list("slug", flat=True)),
        kind=problem.kind,
        statement=problem.statement,
        time_limit_ms=problem.time_limit_ms,
        memory_limit_mb=problem.memory_limit_mb,
        compare=problem.compare,
        float_tolerance=problem.float_tolerance,
        constraints=list(problem.constraints),
        signature=problem.signature,
        editorial=problem.editorial,
        starter_code=dict(problem.starter_code),
        samples=list(problem.samples),
        hidden=list(test_set.hidden),
        reference_solutions=dict(test_set.reference_solutions),
    )


# --- drafts ---------------------------------------------------------------------------------


def _check_code(language: str, code: str) -> None:
    if language not in Language.values:
        raise Invalid("Choose Python, C++ or JavaScript.", code="language", field="language")
    if len(code) > MAX_CODE_CHARS:
        raise Invalid("Code is limited to 64 KB.", code="too_long", field="code")


def draft_save(*, actor: User, problem: Problem, language: str, code: str) -> Draft:
    _check_code(language, code)
    draft, _ = Draft.objects.update_or_create(
        user=actor, problem=problem, language=language, defaults={"code": code}
    )
    return draft


# --- submissions ----------------------------------------------------------------------------


def code_fingerprint(code: str) -> str:
    """Identical after removing comments-free whitespace differences: used to spot copied
    solutions (the same normalized code as someone else's accepted one)."""
    normalized = re.sub(r"\s+", " ", code).strip()
    return hashlib.sha256(normalized.encode()).hexdigest()


def _parse_custom_input(problem: Problem, custom_input: str) -> None:
    if len(custom_input) > MAX_CUSTOM_INPUT_CHARS:
        raise Invalid("Custom input is limited to 64 KB.", code="too_long", field="input")
    if problem.kind != Problem.Kind.FUNCTION:
        return
    try:
        args = json.loads(custom_input)
    except ValueError as exc:
        raise Invalid(
            "Custom input is the function's arguments as a JSON array, e.g. [[1, 2, 3], 4].",
            code="invalid_input",
            field="input",
        ) from exc
    expected = len((problem.signature or {}).get("params", []))
    if not isinstance(args, list) or len(args) != expected:
        raise Invalid(
            f"Give a JSON array with {expected} argument{'s' if expected != 1 else ''}.",
            code="invalid_input",
            field="input",
        )


def submission_create(
    *,
    actor: User,
    problem: Problem,
    language: str,
    code: str,
    mode: str,
    custom_input: str | None = None,
    session: PracticeSession | None = None,
) -> Submission:
    """Queue code for judging: ``run`` against the samples (or ``custom_input``), ``submit``
    against the hidden tests. One submission at a time per user, and a per-minute limit."""
    _check_code(language, code)
    if mode not in Submission.Mode.values:
        raise Invalid("Choose Run or Submit.", code="mode")
    if not code.strip():
        raise Invalid("Write some code first.", code="empty", field="code")
    if custom_input is not None:
        if mode != Submission.Mode.RUN:
            raise Invalid("Custom input is for Run only.", code="invalid_input")
        _parse_custom_input(problem, custom_input)
    if session is not None:
        if actor.pk not in session.participant_ids:
            raise NotFound("No such practice session.")
        if session.status == PracticeSession.Status.ENDED:
            raise Conflict("This practice session has ended.", code="session_ended")
        if session.problem_id != problem.pk:
            raise Invalid("This session is about a different problem.", code="problem")
    ratelimit.check(
        f"judge:{actor.pk}",
        limit=settings.PRACTICE_SUBMISSIONS_PER_MINUTE,
        window_seconds=60,
        message="That is a lot of runs: wait a minute before the next one.",
    )
    with transaction.atomic():
        # One at a time: lock the user's row so two quick clicks cannot both pass the check.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        unfinished = Submission.objects.filter(
            user=actor, status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING]
        )
        # A submission the worker never finished (it was stopped, or crashed) must not block
        # the user for ever: past the judge's longest possible run it is marked failed.
        stale_before = timezone.now() - timedelta(seconds=STALE_AFTER_SECONDS)
        unfinished.filter(created_at__lt=stale_before).update(
            status=Submission.Status.FAILED,
            verdict=Submission.Verdict.INTERNAL_ERROR,
            error="The judge did not finish this one; submit again.",
            finished_at=timezone.now(),
        )
        busy = unfinished.filter(created_at__gte=stale_before).exists()
        if busy:
            raise Conflict("Your previous run is still being judged.", code="busy")
        submission = Submission.objects.create(
            user=actor,
            problem=problem,
            session=session,
            language=language,
            code=code,
            mode=mode,
            custom_input=custom_input or "",
            code_fingerprint=code_fingerprint(code),
        )
        Draft.objects.update_or_create(
            user=actor, problem=problem, language=language, defaults={"code": code}
        )
        _publish_progress(submission)
        from .tasks import judge_submission

        transaction.on_commit(lambda: judge_submission.enqueue(submission.pk))
    return submission


def _tests_for(submission: Submission) -> tuple[list[dict[str, Any]], bool]:
    """The tests to judge with, and whether they are hidden."""
    problem = submission.problem
    if submission.mode == Submission.Mode.SUBMIT:
        # Hidden: the judge redacts what they say and stops at the first one that fails.
        hidden = ProblemTestSet.objects.get(problem=problem).hidden
        return [{**test, "hidden": True} for test in hidden], True
    if submission.custom_input:
        if problem.kind == Problem.Kind.FUNCTION:
            return [{"args": json.loads(submission.custom_input)}], False
        return [{"input": submission.custom_input}], False
    return problem.samples, False


def _clip(text: str, limit: int = SHOWN_TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "\n… (cut)"


def shown_result(test: dict[str, Any], result: dict[str, Any], *, hidden: bool) -> dict[str, Any]:
    """What the submitter may see of one test. For hidden tests: the verdict, the judge's
    quantised time and memory, and only the error the judge redacted (an exception type and a
    line of the user's code, sandbox/redact.py) — never the input, the expected output, the
    program's output or its stderr, which could echo the input."""
    shown: dict[str, Any] = {
        "index": result.get("index", 0),
        "verdict": result.get("verdict", "internal_error"),
        "time_ms": result.get("time_ms", 0),
        "memory_kb": result.get("memory_kb", 0),
    }
    if hidden:
        # Only a result the judge redacted as hidden may say anything at all.
        error = result.get("error", "") if result.get("hidden") is True else ""
        shown["error"] = _clip(error, HIDDEN_ERROR_CHARS)
        return shown
    shown["input"] = _clip(
        json.dumps(test["args"])[1:-1] if "args" in test else test.get("input", "")
    )
    if "expected" in test:
        expected = test["expected"]
        shown["expected"] = _clip(expected if isinstance(expected, str) else json.dumps(expected))
    shown["output"] = _clip(result.get("output", ""))
    shown["stdout"] = _clip(result.get("stdout", ""))
    shown["error"] = _clip(result.get("error", ""))
    return shown


def progress_event(submission: Submission) -> events.ProgressEvent:
    return {
        "type": "progress",
        "submission": submission.pk,
        "user": person(submission.user),
        "mode": submission.mode,
        "state": submission.status,
        "done": submission.tests_done,
        "total": submission.total,
        "passed": submission.passed,
        "verdict": submission.verdict,
        "verdict_label": submission.get_verdict_display() if submission.verdict else "",
    }


def _publish_progress(submission: Submission) -> None:
    group = (
        events.session_group(submission.session_id)
        if submission.session_id
        else events.user_group(submission.user_id)
    )
    broadcast(group, progress_event(submission))


def judge_submission(submission_id: int, *, resume: bool = False) -> Submission | None:
    """Judge one queued submission in the sandbox (called by the task worker).

    ``resume``: the task runs again because its worker died mid-judge (requeue_stale_tasks), so a
    submission left "judging" is judged from the start; otherwise only a queued one is.
    """
    from sandbox import SandboxUnavailable, judge  # the sandbox never imports Django

    statuses = [Submission.Status.QUEUED]
    if resume:
        statuses.append(Submission.Status.RUNNING)
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("problem", "user__profile")
            .filter(pk=submission_id, status__in=statuses)
            .first()
        )
        if submission is None:
            return None  # judged already (a retried task)
        submission.status = Submission.Status.RUNNING
        tests, hidden = _tests_for(submission)
        submission.total = len(tests)
        submission.tests_done = submission.passed = 0  # a resumed judge starts over
        submission.save(update_fields=["status", "total", "tests_done", "passed"])
    _publish_progress(submission)
    problem = submission.problem

    def on_progress(done: int, total: int, result: dict[str, Any]) -> None:
        submission.tests_done = done
        submission.passed += result.get("verdict") == Submission.Verdict.ACCEPTED
        Submission.objects.filter(pk=submission.pk).update(
            tests_done=done, passed=submission.passed
        )
        _publish_progress(submission)

    try:
        outcome = judge(
            language=submission.language,
            code=submission.code,
            kind=problem.kind,
            signature=problem.signature,
            tests=tests,
            compare=problem.compare,
            float_tolerance=problem.float_tolerance,
            time_limit_ms=problem.time_limit_ms,
            memory_limit_mb=problem.memory_limit_mb,
            output_limit_kb=OUTPUT_LIMIT_KB,
            on_progress=on_progress,
        )
    except SandboxUnavailable as exc:
        logger.error("judge unavailable: %s", exc)
        return _finish_failed(submission, f"The judge is not available here: {exc}")
    except Exception:
        logger.exception("judging submission %s failed", submission.pk)
        return _finish_failed(submission, "The judge failed unexpectedly; try again.")
    return _finish(submission, tests, hidden, outcome)


def _finish_failed(submission: Submission, error: str) -> Submission:
    submission.status = Submission.Status.FAILED
    submission.verdict = Submission.Verdict.INTERNAL_ERROR
    submission.error = error
    submission.finished_at = timezone.now()
    submission.save(update_fields=["status", "verdict", "error", "finished_at"])
    _publish_progress(submission)
    return submission


def _finish(
    submission: Submission, tests: list[dict[str, Any]], hidden: bool, outcome: dict[str, Any]
) -> Submission:
    results = outcome.get("tests", [])
    submission.status = Submission.Status.DONE
    submission.verdict = outcome.get("verdict", Submission.Verdict.INTERNAL_ERROR)
    submission.passed = outcome.get("passed", 0)
    submission.tests_done = len(results)
    submission.time_ms = outcome.get("time_ms")
    submission.memory_kb = outcome.get("memory_kb")
    submission.compile_output = _clip(outcome.get("compile_output", ""), 8000)
    submission.results = [
        shown_result(test, result, hidden=hidden)
        for test, result in zip(tests, results, strict=False)
    ]
    submission.finished_at = timezone.now()
    with transaction.atomic():
        submission.save()
        if submission.mode == Submission.Mode.SUBMIT:
            # the practice skill rating, LMS gradebooks (graded links): practice/hooks.py
            hooks.publish(SubmitJudged(submission_id=submission.pk))
        if (
            submission.mode == Submission.Mode.SUBMIT
            and submission.verdict == Submission.Verdict.ACCEPTED
        ):
            _record_solve(submission)
    _publish_progress(submission)
    return submission


def _record_solve(submission: Submission) -> None:
    """The first Accepted submit of a problem is its Solve (points); every Accepted submit
    rechecks the practice badges (a solution in a new language can complete Polyglot)."""
    hooks.publish(SubmitAccepted(submission_id=submission.pk))
    try:
        with transaction.atomic():
            solve, created = Solve.objects.get_or_create(
                user_id=submission.user_id,
                problem_id=submission.problem_id,
                defaults={
                    "submission": submission,
                    "solved_at": submission.finished_at or timezone.now(),
                },
            )
            if created:
                hooks.publish(ProblemSolved(solve_id=solve.pk))
    except IntegrityError:  # solved concurrently by another of the user's submissions
        pass


# --- practice sessions ----------------------------------------------------------------------


def random_problem(
    *, difficulty: str = "", topic: str = "", exclude_solved_by: User | None = None
) -> Problem:
    """A published problem matching the filters, preferring ones ``exclude_solved_by`` has
    not solved yet."""
    items = Problem.objects.filter(is_published=True)
    if difficulty:
        items = items.filter(difficulty=difficulty)
    if topic:
        items = items.filter(topics__slug=topic)
    ids = list(items.values_list("pk", flat=True).distinct())
    if not ids:
        raise Invalid("No problem matches that difficulty and topic.", code="no_problem")
    if exclude_solved_by is not None:
        solved = set(
            Solve.objects.filter(user=exclude_solved_by, problem_id__in=ids).values_list(
                "problem_id", flat=True
            )
        )
        ids = [pk for pk in ids if pk not in solved] or ids
    return Problem.objects.get(pk=random.choice(ids))


def _session_event(session: PracticeSession) -> events.SessionEvent:
    return {
        "type": "session",
        "status": session.status,
        "guest": person(session.guest) if session.guest else None,
        "ended_by": person(session.ended_by) if session.ended_by else None,
    }


def _publish_session(session: PracticeSession) -> None:
    broadcast(events.session_group(session.pk), _session_event(session))
    if session.visibility == PracticeSession.Visibility.PUBLIC:
        lobby: events.LobbyEvent = {"type": "lobby"}
        broadcast(events.LOBBY_GROUP, lobby)


MIN_PASSWORD_CHARS = 4


def session_start(
    *,
    actor: User,
    problem_slug: str = "",
    difficulty: str = "",
    topic: str = "",
    visibility: str,
    password: str = "",
) -> PracticeSession:
    """Open a session on the chosen problem, or, without one, on a random published problem
    matching ``difficulty`` and ``topic`` that the host has not solved yet (the page's and the
    API's "start a session")."""
    if problem_slug:
        problem = selectors.access_problem(user=actor, slug=problem_slug)
    else:
        problem = random_problem(difficulty=difficulty, topic=topic, exclude_solved_by=actor)
    return session_create(actor=actor, problem=problem, visibility=visibility, password=password)


def session_create(
    *,
    actor: User,
    problem: Problem,
    visibility: str,
    password: str = "",
) -> PracticeSession:
    if visibility not in PracticeSession.Visibility.values:
        raise Invalid("Choose public or private.", code="visibility", field="visibility")
    if not problem.is_published:
        raise NotFound("No such problem.")
    if visibility == PracticeSession.Visibility.PRIVATE:
        if len(password) < MIN_PASSWORD_CHARS:
            raise Invalid(
                f"A private session needs a password of at least {MIN_PASSWORD_CHARS} characters.",
                code="password",
                field="password",
            )
        password_hash = make_password(password)
    else:
        password_hash = ""
    open_sessions = PracticeSession.objects.filter(
        host=actor, status=PracticeSession.Status.WAITING
    ).count()
    if open_sessions >= settings.PRACTICE_MAX_OPEN_SESSIONS:
        raise Conflict(
            "You already have sessions waiting for a partner: end one first.", code="too_many"
        )
    with transaction.atomic():
        session = PracticeSession.objects.create(
            problem=problem, host=actor, visibility=visibility, password_hash=password_hash
        )
        Room.objects.create(practice_session=session)
        _publish_session(session)
    return session


def session_join(*, actor: User, uid: str, password: str = "") -> PracticeSession:
    """Take the free seat. Private sessions need the password; wrong guesses are limited per
    person and per session so a password cannot be guessed by brute force."""
    with transaction.atomic():
        session = (
            PracticeSession.objects.select_for_update(of=("self",))
            .select_related("problem")
            .filter(uid=uid)
            .first()
        )
        if session is None:
            raise NotFound("No such practice session.")
        if actor.pk in session.participant_ids:
            return session
        if session.status == PracticeSession.Status.ENDED:
            raise Conflict("This practice session has ended.", code="session_ended")
        if session.guest_id is not None:
            raise Conflict("This session already has two people.", code="full")
        if session.visibility == PracticeSession.Visibility.PRIVATE:
            for key, limit in (
                (f"practice-password:{actor.pk}:{session.pk}", settings.PRACTICE_PASSWORD_ATTEMPTS),
                (
                    f"practice-password:session:{session.pk}",
                    4 * settings.PRACTICE_PASSWORD_ATTEMPTS,
                ),
            ):
                ratelimit.check(
                    key,
                    limit=limit,
                    window_seconds=15 * 60,
                    message="Too many wrong passwords: try again in 15 minutes.",
                )
            if not check_password(password, session.password_hash):
                raise Forbidden(
                    "That password is not right.", code="wrong_password", field="password"
                )
        session.guest = actor
        session.status = PracticeSession.Status.ACTIVE
        session.started_at = timezone.now()
        session.save(update_fields=["guest", "status", "started_at"])
        _publish_session(session)
    return session


def sessions_end_abandoned(*, now: datetime | None = None) -> int:
    """End the pair sessions in progress that both people left without pressing Leave (closed
    the tab, lost the connection): nobody has been present in the session's room for
    ``PRACTICE_ABANDONED_MINUTES``. Their summary pages stay readable. Returns how many."""
    now = now or timezone.now()
    since = now - timedelta(minutes=settings.PRACTICE_ABANDONED_MINUTES)
    present = RoomPresence.objects.filter(room__practice_session=OuterRef("pk"), seen_at__gte=since)
    abandoned = PracticeSession.objects.filter(
        status=PracticeSession.Status.ACTIVE, started_at__lt=since
    ).exclude(Exists(present))
    ended = 0
    for uid in abandoned.values_list("uid", flat=True):
        with transaction.atomic():
            session = (
                PracticeSession.objects.select_for_update(of=("self",))
                .select_related("host__profile", "guest__profile")
                .filter(uid=uid, status=PracticeSession.Status.ACTIVE)
                .exclude(Exists(present))
                .first()
            )
            if session is None:  # someone came back, or it ended meanwhile
                continue
            session.status = PracticeSession.Status.ENDED
            session.ended_at = now
            session.save(update_fields=["status", "ended_at"])
            _publish_session(session)
            ended += 1
    return ended


def session_end(*, actor: User, uid: str) -> PracticeSession:
    """Leave: the session ends for both (a pair session without its pair is over). The room's
    chat, notes and files stay readable on the summary page."""
    with transaction.atomic():
        session = (
            PracticeSession.objects.select_for_update(of=("self",))
            .select_related("host__profile", "guest__profile")
            .filter(uid=uid)
            .first()
        )
        if session is None or actor.pk not in session.participant_ids:
            raise NotFound("No such practice session.")
        if session.status == PracticeSession.Status.ENDED:
            return session
        session.status = PracticeSession.Status.ENDED
        session.ended_at = timezone.now()
        session.ended_by = actor
        session.save(update_fields=["status", "ended_at", "ended_by"])
        _publish_session(session)
    return session
