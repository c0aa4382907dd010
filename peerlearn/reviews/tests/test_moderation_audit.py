"""Hiding and showing a review is recorded in the one staff audit trail, not only in
``hidden_by`` (which showing it again clears)."""

from __future__ import annotations

import pytest

from peerlearn.accounts.audit import audit_for
from peerlearn.common.testing import make_moderator
from peerlearn.reviews import services

from .factories import completed_booking, learner_review, people, tutor_review

pytestmark = pytest.mark.django_db


def test_hide_and_unhide_each_leave_an_audit_entry() -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    review = learner_review(booking, learner, comment="Useless")
    tutor_review(booking, tutor, learner)  # both written: revealed
    moderator = make_moderator()
    services.review_hide(actor=moderator, review_id=review.pk, reason="Insults")
    services.review_unhide(actor=moderator, review_id=review.pk, reason="Appeal upheld")
    review.refresh_from_db()
    assert review.hidden_by is None  # the review no longer says who hid it ...
    entries = list(audit_for(review))  # ... the audit trail does
    assert [(e.action, e.actor, e.reason) for e in entries] == [
        ("reviews.unhide", moderator, "Appeal upheld"),
        ("reviews.hide", moderator, "Insults"),
    ]


def test_dismissing_reports_is_audited() -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    review = learner_review(booking, learner, comment="Meh")
    tutor_review(booking, tutor, learner)
    services.review_report(actor=tutor, review_id=review.pk, reason="Unfair")
    moderator = make_moderator()
    services.review_reports_dismiss(actor=moderator, review_id=review.pk)
    assert [(e.action, e.actor) for e in audit_for(review)] == [
        ("reviews.reports_dismiss", moderator)
    ]
