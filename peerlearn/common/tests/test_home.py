"""The home page: what a visitor sees (counts, verified tutors) stays right while the scans
behind it are cached, and a visit's queries do not grow with the number of tutors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from peerlearn.accounts import services
from peerlearn.common.testing import PDF_BYTES, make_moderator, make_subject, make_tutor, upload

pytestmark = pytest.mark.django_db


def visit() -> str:
    response = Client().get("/")
    assert response.status_code == 200
    return response.content.decode()


def stat(body: str, label: str) -> str:
    """The number shown above a stat's label on the home page."""
    before = body.split(f'<div class="label">{label}</div>')[0]
    return before.rsplit('<div class="num">', 1)[1].split("</div>")[0]


def verify(tutor, topic) -> None:
    request = services.verification_submit(
        actor=tutor, subject_id=topic.pk, upload=upload("proof.pdf", PDF_BYTES)
    )
    services.verification_decide(
        actor=make_moderator(), request_id=request.pk, approve=True, reason="Transcript checked."
    )


def test_a_tutor_verified_after_a_visit_is_featured_on_the_next_one() -> None:
    topic = make_subject("Linear algebra")
    tutor = make_tutor(display_name="Vera Verified", subject=topic)
    assert "Vera Verified" not in visit()  # not verified yet; the page is now cached
    verify(tutor, topic)
    body = visit()
    assert "Vera Verified" in body and "Linear algebra" in body


def test_the_tutor_count_follows_subjects_taught_and_dropped() -> None:
    make_tutor()
    assert stat(visit(), "tutors") == "1"
    second = make_tutor()
    assert stat(visit(), "tutors") == "2"
    topic = second.teaching_subjects.get().subject
    services.teaching_subject_remove(actor=second, subject_id=topic.pk)
    assert stat(visit(), "tutors") == "1"


def test_a_deactivated_featured_tutor_is_not_shown() -> None:
    topic = make_subject()
    tutor = make_tutor(display_name="Gone Soon", subject=topic)
    verify(tutor, topic)
    assert "Gone Soon" in visit()
    tutor.is_active = False
    tutor.save(update_fields=["is_active"])  # e.g. by an admin: the cache is not told
    assert "Gone Soon" not in visit()


def queries_of_a_visit() -> int:
    visit()  # the first visit after a change computes the counts and the featured tutors
    with CaptureQueriesContext(connection) as queries:
        visit()
    return len(queries)


def test_a_visit_costs_the_same_queries_for_few_and_many_tutors() -> None:
    topic = make_subject()
    for _ in range(2):
        verify(make_tutor(subject=topic), topic)
    few = queries_of_a_visit()
    for _ in range(8):
        verify(make_tutor(subject=topic), topic)
    assert queries_of_a_visit() == few
