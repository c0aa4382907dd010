"""Every accounts and tutor-finding list (institutions, the subject catalogue, my subjects and
verification requests, the moderators' verification queue, tutor search and recommendations;
pages and API) costs the same number of queries with a few rows and with fifty more."""

from __future__ import annotations

import itertools

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from peerlearn.accounts import services
from peerlearn.accounts.models import Institution
from peerlearn.common.testing import (
    PDF_BYTES,
    make_moderator,
    make_subject,
    make_tutor,
    make_user,
    upload,
)
from peerlearn.common.tests.querycounts import MANY, assert_flat, logged_in

pytestmark = pytest.mark.django_db


# Time stands still: the recommender refreshes its demand counts once a minute of wall time
# (matching.quality.DEMAND_REFRESH), which on a slow machine would fall between two counts.
@time_machine.travel(timezone.now(), tick=False)
def test_the_accounts_and_matching_lists_do_not_grow_with_the_rows() -> None:
    shared = make_subject("Shared topic")
    viewer, moderator = make_tutor(display_name="Vera", subject=shared), make_moderator()
    services.learning_subject_set(actor=viewer, subject_id=shared.pk, level="beginner")
    numbers = itertools.count()

    def add(n: int) -> None:
        for _ in range(n):
            i = next(numbers)
            institution = Institution.objects.create(name=f"Uni {i}", slug=f"uni-{i}")
            make_user(institution=institution)
            topic = make_subject(f"Topic {i}")
            make_tutor(subject=shared)
            services.learning_subject_set(actor=viewer, subject_id=topic.pk, level="beginner")
            services.teaching_subject_set(actor=viewer, subject_id=topic.pk, proficiency="expert")
            services.verification_submit(
                actor=viewer,
                subject_id=topic.pk,
                upload=upload("evidence.pdf", PDF_BYTES, "application/pdf"),
            )

    add(3)
    mine, moderating = logged_in(viewer), logged_in(moderator)
    tutors = reverse("matching:search")
    pages = [
        (mine, reverse("accounts:institutions")),
        (mine, reverse("accounts:subjects")),
        (mine, reverse("accounts:subjects_edit")),
        (mine, reverse("accounts:verification_mine")),
        (moderating, reverse("accounts:verification_queue")),
        (mine, tutors),
        (mine, f"{tutors}?subject={shared.pk}"),
        (mine, reverse("matching:recommended")),
        (mine, "/api/v1/institutions"),
        (mine, "/api/v1/subjects"),
        (mine, "/api/v1/me/learning-subjects"),
        (mine, "/api/v1/me/teaching-subjects"),
        (mine, "/api/v1/me/verifications"),
        (mine, "/api/v1/tutors/search"),
        (mine, f"/api/v1/tutors/search?subject={shared.pk}"),
        (mine, "/api/v1/tutors/recommended"),
    ]

    assert_flat(pages, lambda: add(MANY))
