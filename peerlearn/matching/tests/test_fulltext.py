"""The tutors' full-text documents (``TutorDocument``) and the indexed search over them."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import require
from peerlearn.accounts import services as account_services
from peerlearn.accounts.models import TeachingSubject, User
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.matching import selectors
from peerlearn.matching.models import TutorDocument
from peerlearn.matching.services import tutor_documents_rebuild

pytestmark = pytest.mark.django_db

OnCommit = Callable[..., AbstractContextManager[Any]]


def _postgres() -> None:
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://…)")


def _profile(user: User, *, name: str, bio: str) -> None:
    account_services.profile_update(
        actor=user, user=user, data=account_services.ProfileInput(display_name=name, bio=bio)
    )


def _ids(q: str, **filters: Any) -> list[int]:
    f = selectors.SearchFilters(q=q, **filters)
    return [u.pk for u in selectors.tutor_search(filters=f, viewer=None)]


def _doc(user: User) -> TutorDocument:
    return TutorDocument.objects.get(user=user)


def test_documents_follow_profile_and_teaching_subject_changes(
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    graphs = make_subject("Graphs", parent_names=("Mathematics", "Combinatorics"))
    sorting = make_subject("Sorting", parent_names=("Computer science", "Algorithms"))
    with django_capture_on_commit_callbacks(execute=True):
        tutor = make_tutor(subject=graphs, display_name="Ada Lovelace")
    text = _doc(tutor).text
    assert "Ada Lovelace" in text and "Graphs" in text
    assert "Combinatorics" in text and "Mathematics" in text  # parents of what is taught

    with django_capture_on_commit_callbacks(execute=True):
        _profile(tutor, name="Ada King", bio="Patient with proofs.")
    text = _doc(tutor).text
    assert "Ada King" in text and "Patient with proofs." in text and "Lovelace" not in text

    with django_capture_on_commit_callbacks(execute=True):
        account_services.teaching_subject_set(
            actor=tutor, subject_id=sorting.pk, proficiency="advanced"
        )
    assert "Sorting" in _doc(tutor).text and "Algorithms" in _doc(tutor).text

    with django_capture_on_commit_callbacks(execute=True):
        account_services.teaching_subject_remove(actor=tutor, subject_id=graphs.pk)
    text = _doc(tutor).text
    assert "Graphs" not in text and "Combinatorics" not in text and "Sorting" in text

    with django_capture_on_commit_callbacks(execute=True):
        account_services.teaching_subject_remove(actor=tutor, subject_id=sorting.pk)
    assert not TutorDocument.objects.filter(user=tutor).exists()  # teaches nothing: no document

    learner = make_user(display_name="Lee Learner")
    with django_capture_on_commit_callbacks(execute=True):
        _profile(learner, name="Lee L.", bio="Just learning")
    assert not TutorDocument.objects.filter(user=learner).exists()


def test_the_document_is_written_in_the_same_transaction_as_the_change() -> None:
    tutor = make_tutor(display_name="Soon Person")
    assert "Soon Person" in _doc(tutor).text  # no commit needed: one transaction


def test_the_bulk_rebuild_and_its_command_write_every_tutors_document() -> None:
    graphs = make_subject("Graphs", parent_names=("Mathematics", "Combinatorics"))
    tutors = [make_tutor(subject=graphs, display_name=f"Tutor {n}") for n in range(3)]
    learner = make_user()
    TutorDocument.objects.create(user=learner, text="stale", updated_at="2026-01-01T00:00Z")
    assert tutor_documents_rebuild(batch=2) == 3
    assert set(TutorDocument.objects.values_list("user_id", flat=True)) == {t.pk for t in tutors}
    TeachingSubject.objects.filter(user=tutors[0]).delete()  # a write around the services
    call_command("rebuild_tutor_documents", stdout=io.StringIO())
    assert TutorDocument.objects.count() == 2
    if connection.vendor == "postgresql":
        assert not TutorDocument.objects.filter(search_vector__isnull=True).exists()


def _world(on_commit: OnCommit) -> dict[str, User]:
    graphs = make_subject("Graphs", parent_names=("Mathematics", "Combinatorics"))
    sorting = make_subject("Sorting", parent_names=("Computer science", "Algorithms"))
    with on_commit(execute=True):
        named = make_tutor(subject=sorting, display_name="Graham Graphs")
        taught = make_tutor(subject=graphs, display_name="Tina Teach")
        bio = make_tutor(subject=sorting, display_name="Bo Bio")
        _profile(bio, name="Bo Bio", bio="Happy to help with graphs and sorting.")
        other = make_tutor(subject=sorting, display_name="Olga Other")
    return {"named": named, "taught": taught, "bio": bio, "other": other}


def test_search_finds_tutors_by_name_bio_subject_and_parent_on_postgresql(
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    _postgres()
    w = _world(django_capture_on_commit_callbacks)
    assert _ids("Tina") == [w["taught"].pk]
    assert _ids("help") == [w["bio"].pk]
    assert _ids("Combinatorics") == [w["taught"].pk]  # a parent: only in the document
    assert set(_ids("sorting")) == {w["named"].pk, w["bio"].pk, w["other"].pk}
    assert _ids("sorting -Olga") and w["other"].pk not in _ids("sorting -Olga")  # websearch
    assert _ids("nothing-like-this") == []


def test_search_ranks_by_relevance_on_postgresql(
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    _postgres()
    w = _world(django_capture_on_commit_callbacks)
    # name (A) before a taught subject (B) before the bio (C); Olga matches nothing.
    assert _ids("graphs") == [w["named"].pk, w["taught"].pk, w["bio"].pk]
    ranks = [
        u.text_rank
        for u in selectors.tutor_search(filters=selectors.SearchFilters(q="graphs"), viewer=None)
    ]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > ranks[-1]
    # other sorts and filters still apply on top of the text match
    assert _ids("graphs", sort="newest") == [w["bio"].pk, w["taught"].pk, w["named"].pk]
    subject = TeachingSubject.objects.get(user=w["taught"]).subject_id
    assert _ids("graphs", subject_id=subject) == [w["taught"].pk]


def test_a_write_around_the_services_is_found_after_a_rebuild_on_postgresql(
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    """A profile saved directly (admin, scripts) is searchable once the documents are rebuilt."""
    _postgres()
    w = _world(django_capture_on_commit_callbacks)
    profile = w["other"].profile
    profile.bio = "Recursion fan"
    profile.save()
    assert _ids("recursion") == []
    tutor_documents_rebuild()
    assert _ids("recursion") == [w["other"].pk]


def test_the_search_is_one_query_and_uses_the_gin_index_on_postgresql(
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    _postgres()
    _world(django_capture_on_commit_callbacks)
    qs = selectors.tutor_search(filters=selectors.SearchFilters(q="graphs"), viewer=None)
    with CaptureQueriesContext(connection) as queries:
        assert len(list(qs)) == 3
    assert len(queries) == 1
    # The text match is the documents' GIN index (the outer query joins the matching ids; with
    # a handful of test rows the planner may probe them another way, so explain the match).
    from django.contrib.postgres.search import SearchQuery

    matches = TutorDocument.objects.filter(
        search_vector=SearchQuery("graphs", search_type="websearch", config="english")
    ).values("user_id")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = matches.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "matching_tutordoc_vector_gin" in plan, plan
