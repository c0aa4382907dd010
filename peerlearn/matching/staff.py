"""Staff operations on matching: rebuild a tutor's search document, retrain the ranker."""

from __future__ import annotations

from django.db import transaction

from peerlearn.accounts.audit import audit_record
from peerlearn.accounts.models import User
from peerlearn.common.errors import Forbidden

from .services import tutor_document_refresh


def tutor_document_rebuild(*, actor: User, user: User, reason: str = "") -> None:
    """Rewrite ``user``'s search document now (after a change made around the services).
    Audited."""
    if not actor.has_perm("matching.change_tutordocument"):
        raise Forbidden("Only administrators can rebuild search documents.")
    with transaction.atomic():
        tutor_document_refresh(user=user)
        audit_record(actor=actor, action="matching.document_rebuild", target=user, reason=reason)


def ranker_retrain(*, actor: User, reason: str = "") -> None:
    """Queue a retraining of the learned ranker on every outcome so far. Audited."""
    from .tasks import train_ranker

    if not actor.has_perm("matching.add_rankerversion"):
        raise Forbidden("Only administrators can retrain the ranker.")
    with transaction.atomic():
        audit_record(actor=actor, action="matching.ranker_retrain", reason=reason)
        transaction.on_commit(lambda: train_ranker.enqueue())
