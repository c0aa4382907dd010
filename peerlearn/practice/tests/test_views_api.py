"""Pages and API endpoints: who may see and do what; hidden tests never leave the server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from peerlearn.common.testing import make_user
from peerlearn.practice import services
from peerlearn.practice.models import PracticeSession, Submission

from .factories import ADD_RIGHT, ADD_WRONG, HIDDEN_MARKER, make_add_problem, require_sandbox

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, body: dict) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_bank_is_public_and_filters() -> None:
    make_add_problem()
    response = Client().get("/practice/?difficulty=easy&topic=math")
    assert response.status_code == 200 and b"Add two numbers" in response.content
    assert b"Add two numbers" not in Client().get("/practice/?difficulty=hard").content
    partial = Client().get(
        "/practice/?q=add", headers={"HX-Request": "true", "HX-Target": "problem-results"}
    )
    assert b"<html" not in partial.content and b"Add two numbers" in partial.content


def test_the_workspace_never_contains_hidden_tests_or_reference_solutions() -> None:
    problem = make_add_problem()
    ada = make_user()
    page = client_for(ada).get(f"/practice/problems/{problem.slug}/")
    assert page.status_code == 200
    assert str(HIDDEN_MARKER).encode() not in page.content
    assert b"return a + b" not in page.content  # the reference solution
    api = client_for(ada).get(f"/api/v1/practice/problems/{problem.slug}")
    assert api.status_code == 200 and str(HIDDEN_MARKER) not in api.content.decode()
    assert api.json()["hidden_test_count"] == 3


def test_unpublished_problems_are_not_found() -> None:
    problem = make_add_problem()
    problem.is_published = False
    problem.save()
    assert client_for(make_user()).get(f"/practice/problems/{problem.slug}/").status_code == 404
    assert (
        client_for(make_user()).get(f"/api/v1/practice/problems/{problem.slug}").status_code == 404
    )


def test_drafts_save_over_the_page_endpoint_and_the_api() -> None:
    problem = make_add_problem()
    ada = make_user()
    client = client_for(ada)
    assert (
        post_json(
            client,
            f"/practice/problems/{problem.slug}/draft",
            {"language": "python", "code": "x = 1"},
        ).status_code
        == 200
    )
    drafts = {
        d["language"]: d["code"]
        for d in client.get(f"/api/v1/practice/problems/{problem.slug}/draft").json()
    }
    assert drafts["python"] == "x = 1" and drafts["cpp"].startswith("int addNumbers")
    response = client.put(
        f"/api/v1/practice/problems/{problem.slug}/draft",
        json.dumps({"language": "ruby", "code": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    bad = post_json(
        client, f"/practice/problems/{problem.slug}/draft", {"language": "ruby", "code": "x"}
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "language"


def test_the_page_endpoints_need_csrf() -> None:
    problem = make_add_problem()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    assert (
        post_json(client, f"/practice/problems/{problem.slug}/submissions", {}).status_code == 403
    )


def test_submit_and_read_results_only_as_the_submitter(django_capture_on_commit_callbacks) -> None:
    require_sandbox()
    problem = make_add_problem()
    ada, eve = make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            client_for(ada),
            f"/practice/problems/{problem.slug}/submissions",
            {"language": "python", "code": ADD_WRONG, "mode": "submit"},
        )
    assert response.status_code == 202
    submission_id = response.json()["id"]
    result = client_for(ada).get(f"/practice/submissions/{submission_id}/")
    assert result.status_code == 200 and b"Wrong Answer" in result.content
    assert b"Failed on hidden test 1 of 3" in result.content
    assert str(HIDDEN_MARKER).encode() not in result.content
    api = client_for(ada).get(f"/api/v1/practice/submissions/{submission_id}").json()
    assert api["verdict"] == "wrong_answer" and api["passed"] == 0 and api["total"] == 3
    assert str(HIDDEN_MARKER) not in json.dumps(api)
    assert client_for(eve).get(f"/practice/submissions/{submission_id}/").status_code == 404
    assert client_for(eve).get(f"/api/v1/practice/submissions/{submission_id}").status_code == 404


def test_the_api_runs_code(django_capture_on_commit_callbacks) -> None:
    require_sandbox()
    problem = make_add_problem()
    client = client_for(make_user())
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            client,
            "/api/v1/practice/submissions",
            {
                "problem": problem.slug,
                "language": "python",
                "code": ADD_RIGHT,
                "mode": "run",
                "input": "[20, 22]",
            },
        )
    assert response.status_code == 202
    body = client.get(f"/api/v1/practice/submissions/{response.json()['id']}").json()
    assert body["status"] == "done" and body["verdict"] == "ran"
    assert body["results"][0]["output"] == "42"


def test_bad_submissions_get_a_clear_error_not_a_500() -> None:
    problem = make_add_problem()
    client = client_for(make_user())
    url = f"/practice/problems/{problem.slug}/submissions"
    assert client.post(url, "not json", content_type="application/json").status_code == 400
    response = post_json(
        client, url, {"language": "python", "code": ADD_RIGHT, "mode": "run", "input": "[1"}
    )
    assert response.status_code == 400 and "JSON array" in response.json()["error"]["message"]
    response = post_json(
        client, url, {"language": "python", "code": ADD_RIGHT, "mode": "run", "session": "nope"}
    )
    assert response.status_code == 404
    assert not Submission.objects.exists()


def test_a_session_page_is_for_its_two_people_others_get_the_join_page() -> None:
    problem = make_add_problem()
    host, guest, third = make_user(), make_user(), make_user()
    session = services.session_create(
        actor=host, problem=problem, visibility="private", password="letmein"
    )
    url = f"/practice/s/{session.uid}/"
    page = client_for(host).get(url)
    assert page.status_code == 200 and b"Waiting for a partner" in page.content
    join_page = client_for(guest).get(url)
    assert b"Join the session" in join_page.content and b"Password" in join_page.content
    wrong = client_for(guest).post(f"{url}join", {"password": "nope"})
    assert wrong.status_code == 403 and b"That password is not right" in wrong.content
    right = client_for(guest).post(f"{url}join", {"password": "letmein"})
    assert right.status_code == 302 and right["Location"] == url
    assert b"Practice session" in client_for(guest).get(url).content
    assert b"already has two people" in client_for(third).get(url).content
    assert client_for(third).post(f"{url}join", {"password": "letmein"}).status_code == 409
    # The API hides a session from non-participants entirely.
    assert client_for(third).get(f"/api/v1/practice/sessions/{session.uid}").status_code == 404
    assert (
        client_for(guest).get(f"/api/v1/practice/sessions/{session.uid}").json()["status"]
        == "active"
    )


def test_leaving_ends_the_session_and_shows_the_summary() -> None:
    problem = make_add_problem()
    host, guest = make_user(display_name="Hana"), make_user(display_name="Gus")
    session = services.session_create(actor=host, problem=problem, visibility="public")
    services.session_join(actor=guest, uid=str(session.uid))
    response = client_for(guest).post(f"/practice/s/{session.uid}/end")
    assert response.status_code == 302 and response["Location"].endswith("/summary/")
    session.refresh_from_db()
    assert session.status == PracticeSession.Status.ENDED and session.ended_by == guest
    summary = client_for(host).get(f"/practice/s/{session.uid}/summary/")
    assert summary.status_code == 200 and b"Hana" in summary.content and b"Gus" in summary.content
    assert client_for(host).get(f"/practice/s/{session.uid}/").status_code == 302  # → summary
    assert client_for(make_user()).get(f"/practice/s/{session.uid}/summary/").status_code == 404


def test_the_lobby_lists_public_sessions_with_a_free_seat() -> None:
    problem = make_add_problem()
    host, viewer = make_user(display_name="Hana"), make_user()
    public = services.session_create(actor=host, problem=problem, visibility="public")
    services.session_create(actor=host, problem=problem, visibility="private", password="secret")
    lobby = client_for(viewer).get("/practice/sessions/lobby/")
    assert lobby.content.count(b"/join") == 1 and str(public.uid).encode() in lobby.content
    api = client_for(viewer).get("/api/v1/practice/sessions").json()
    assert [s["uid"] for s in api] == [str(public.uid)]
    services.session_join(actor=viewer, uid=str(public.uid))
    assert b"/join" not in client_for(make_user()).get("/practice/sessions/lobby/").content


def test_creating_a_session_from_the_page_and_the_api() -> None:
    make_add_problem()
    ada = make_user()
    response = client_for(ada).post(
        "/practice/sessions/", {"problem": "", "difficulty": "easy", "visibility": "public"}
    )
    assert response.status_code == 302
    bad = client_for(ada).post(
        "/practice/sessions/", {"problem": "add-two", "visibility": "private", "password": "x"}
    )
    assert bad.status_code == 400 and b"at least 4 characters" in bad.content
    api = post_json(
        client_for(ada),
        "/api/v1/practice/sessions",
        {"problem": "add-two", "visibility": "private", "password": "hunter22"},
    )
    assert api.status_code == 201 and api.json()["visibility"] == "private"
    none = post_json(
        client_for(ada), "/api/v1/practice/sessions", {"difficulty": "hard", "visibility": "public"}
    )
    assert none.status_code == 400 and none.json()["error"]["code"] == "no_problem"


def test_progress_page_and_api() -> None:
    make_add_problem()
    client = client_for(make_user())
    assert client.get("/practice/progress/").status_code == 200
    body = client.get("/api/v1/practice/progress").json()
    assert body["solved_total"] == 0 and body["recommendation"]["slug"] == "add-two"
    assert Client().get("/practice/progress/").status_code == 302  # log in first
