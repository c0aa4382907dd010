"""Practice endpoints of the JSON API: the problem bank, drafts, Run/Submit and their status,
practice sessions (lobby, create, join, leave, summary) and progress.

Adapters only. A submission is visible to its submitter alone; a practice session to its two
participants (a stranger gets the same 404 as for none); hidden tests never leave the server.
"""

# No ``from __future__ import annotations``: ninja reads annotations at import time (see
# scheduling/api.py).
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from peerlearn.api.auth import request_user
from peerlearn.api.helpers import ok
from peerlearn.api.pages import Page

from . import selectors, services
from .models import PracticeSession, Problem, Submission

router = Router(tags=["practice"])


class ProblemOut(Schema):
    slug: str
    title: str
    difficulty: str
    topics: list[str]
    kind: str
    solved: bool = False
    solve_count: int = 0

    @staticmethod
    def resolve_topics(obj: Problem) -> list[str]:
        return [t.slug for t in obj.topics.all()]

    @staticmethod
    def resolve_solved(obj: Problem) -> bool:
        return bool(getattr(obj, "is_solved", False))


class SampleOut(Schema):
    args: list[Any] | None = None
    input: str | None = None
    expected: Any
    explanation: str | None = None


class ProblemDetailOut(ProblemOut):
    statement_html: str
    constraints: list[str]
    signature: dict[str, Any] | None
    compare: str
    time_limit_ms: int
    memory_limit_mb: int
    starter_code: dict[str, str]
    samples: list[SampleOut]
    hidden_test_count: int


class DraftIn(Schema):
    language: Literal["python", "cpp", "javascript"]
    code: str = Field(max_length=services.MAX_CODE_CHARS)


class DraftOut(Schema):
    language: str
    code: str


class SubmissionIn(Schema):
    problem: str = Field(description="The problem's slug")
    language: Literal["python", "cpp", "javascript"]
    code: str
    mode: Literal["run", "submit"]
    input: str | None = Field(
        None,
        description="Run only: stdin, or the function's arguments as a JSON array",
    )
    session: str | None = Field(None, description="A practice session's uid you are in")


class TestResultOut(Schema):
    index: int
    verdict: str
    time_ms: int
    memory_kb: int
    input: str | None = None
    expected: str | None = None
    output: str | None = None
    stdout: str | None = None
    error: str = ""


class SubmissionOut(Schema):
    id: int
    problem: str
    language: str
    mode: str
    status: str
    verdict: str
    verdict_label: str
    tests_done: int
    passed: int
    total: int
    time_ms: int | None
    memory_kb: int | None
    compile_output: str
    error: str
    results: list[TestResultOut]
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_problem(obj: Submission) -> str:
        return obj.problem.slug

    @staticmethod
    def resolve_verdict_label(obj: Submission) -> str:
        return obj.get_verdict_display() if obj.verdict else ""


class PersonOut(Schema):
    id: int
    display_name: str


class SessionOut(Schema):
    uid: str
    problem: ProblemOut
    host: PersonOut
    guest: PersonOut | None
    visibility: str
    status: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None

    @staticmethod
    def resolve_uid(obj: PracticeSession) -> str:
        return str(obj.uid)


class SessionIn(Schema):
    problem: str | None = Field(None, description="A slug; or leave out for a random problem")
    difficulty: Literal["easy", "medium", "hard", ""] = ""
    topic: str = ""
    visibility: Literal["public", "private"]
    password: str = Field("", max_length=128)


class JoinIn(Schema):
    password: str = Field("", max_length=128)


class ParticipantSummaryOut(Schema):
    user: PersonOut
    attempts: int
    runs: int
    solved_at: datetime | None
    minutes_to_solve: int | None
    best_passed: int
    total: int
    last_verdict: str


class ProgressOut(Schema):
    solved_total: int
    solved_by_difficulty: dict[str, dict[str, int]]
    solved_by_topic: list[dict[str, Any]]
    streak_current: int
    streak_longest: int
    recommendation: ProblemOut | None
    recommendation_reasons: list[str]


@router.get("/practice/problems", response=ok(list[ProblemOut]), summary="The problem bank")
@paginate(Page)
def problems_list(
    request: HttpRequest,
    difficulty: str = "",
    topic: str = "",
    status: Literal["", "solved", "attempted", "unsolved"] = "",
    q: str = "",
) -> Any:
    return selectors.problems(
        user=request_user(request), difficulty=difficulty, topic=topic, status=status, search=q
    )


@router.get("/practice/problems/{slug}", response=ok(ProblemDetailOut), summary="One problem")
def problem_get(request: HttpRequest, slug: str) -> Problem:
    return selectors.access_problem(user=request_user(request), slug=slug)


@router.get(
    "/practice/problems/{slug}/draft",
    response=ok(list[DraftOut]),
    summary="My code for this problem in every language (a saved draft or the starter code)",
)
def drafts_get(request: HttpRequest, slug: str) -> list[dict[str, str]]:
    user = request_user(request)
    problem = selectors.access_problem(user=user, slug=slug)
    drafts = selectors.drafts(user=user, problem=problem)
    return [{"language": language, "code": code} for language, code in drafts.items()]


@router.put("/practice/problems/{slug}/draft", response=ok(DraftOut), summary="Autosave my draft")
def draft_put(request: HttpRequest, slug: str, body: DraftIn) -> dict[str, str]:
    user = request_user(request)
    problem = selectors.access_problem(user=user, slug=slug)
    draft = services.draft_save(actor=user, problem=problem, language=body.language, code=body.code)
    return {"language": draft.language, "code": draft.code}


@router.post(
    "/practice/submissions",
    response=ok(SubmissionOut, 202),
    summary="Run (samples or custom input) or Submit (hidden tests)",
)
def submission_create(request: HttpRequest, body: SubmissionIn) -> Any:
    """Answers 202 at once; poll ``GET /practice/submissions/{id}`` (or listen on
    ``/ws/practice/``) until ``status`` is ``done`` or ``failed``."""
    user = request_user(request)
    problem = selectors.access_problem(user=user, slug=body.problem)
    session = selectors.access_session(user=user, uid=body.session) if body.session else None
    submission = services.submission_create(
        actor=user,
        problem=problem,
        language=body.language,
        code=body.code,
        mode=body.mode,
        custom_input=body.input,
        session=session,
    )
    return Status(202, selectors.access_submission(user=user, submission_id=submission.pk))


@router.get(
    "/practice/submissions/{int:submission_id}",
    response=ok(SubmissionOut),
    summary="One of my submissions, with its per-test results",
)
def submission_get(request: HttpRequest, submission_id: int) -> Submission:
    return selectors.access_submission(user=request_user(request), submission_id=submission_id)


@router.get(
    "/practice/sessions",
    response=ok(list[SessionOut]),
    summary="The lobby: public sessions with a free seat",
)
def lobby(request: HttpRequest) -> list[PracticeSession]:
    return selectors.lobby(exclude_user=request_user(request))


@router.get("/practice/sessions/mine", response=ok(list[SessionOut]), summary="My sessions")
def my_sessions(request: HttpRequest) -> list[PracticeSession]:
    return selectors.my_sessions(user=request_user(request))


@router.post("/practice/sessions", response=ok(SessionOut, 201), summary="Start a session")
def session_create(request: HttpRequest, body: SessionIn) -> Any:
    session = services.session_start(
        actor=request_user(request),
        problem_slug=body.problem or "",
        difficulty=body.difficulty,
        topic=body.topic,
        visibility=body.visibility,
        password=body.password,
    )
    return Status(201, session)


@router.get("/practice/sessions/{uuid:uid}", response=ok(SessionOut), summary="One of my sessions")
def session_get(request: HttpRequest, uid: str) -> PracticeSession:
    return selectors.access_session(user=request_user(request), uid=uid)


@router.post(
    "/practice/sessions/{uuid:uid}/join",
    response=ok(SessionOut),
    summary="Take the free seat (private sessions: with the password)",
)
def session_join(request: HttpRequest, uid: str, body: JoinIn) -> PracticeSession:
    user = request_user(request)
    services.session_join(actor=user, uid=str(uid), password=body.password)
    return selectors.access_session(user=user, uid=str(uid))


@router.post(
    "/practice/sessions/{uuid:uid}/leave",
    response=ok(SessionOut),
    summary="Leave (ends the session for both)",
)
def session_leave(request: HttpRequest, uid: str) -> PracticeSession:
    user = request_user(request)
    services.session_end(actor=user, uid=str(uid))
    return selectors.access_session(user=user, uid=str(uid))


@router.get(
    "/practice/sessions/{uuid:uid}/summary",
    response=ok(list[ParticipantSummaryOut]),
    summary="Who solved, attempts and times",
)
def session_summary(request: HttpRequest, uid: str) -> Any:
    session = selectors.access_session(user=request_user(request), uid=str(uid))
    return selectors.session_summary(session=session)


@router.get("/practice/progress", response=ok(ProgressOut), summary="My practice progress")
def progress(request: HttpRequest) -> dict[str, Any]:
    result = selectors.progress(user=request_user(request))
    return {
        "solved_total": result.solved_total,
        "solved_by_difficulty": {
            difficulty: {"solved": solved, "available": available}
            for difficulty, (solved, available) in result.solved_by_difficulty.items()
        },
        "solved_by_topic": [
            {"topic": topic.slug, "name": topic.name, "solved": solved, "available": available}
            for topic, solved, available in result.solved_by_topic
        ],
        "streak_current": result.streak_current,
        "streak_longest": result.streak_longest,
        "recommendation": result.recommendation,
        "recommendation_reasons": result.recommendation_reasons,
    }
