"""The staff audit trail: one record per staff action, from any app.

Services that carry out a staff decision (verification, suspension, hiding a post or a review,
resolving a report, cancelling a booking for its participants, re-judging, rebuilding or
retraining) call ``audit_record`` inside their own transaction, so an action and its record
commit together or not at all. Other apps import only this module, never the model.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .models import AuditEntry, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record that ``actor`` did ``action`` (``<app>.<verb>``, e.g. ``accounts.suspend``) to
    ``target`` because of ``reason``. Must run inside the transaction of the change."""
    assert transaction.get_connection().in_atomic_block, "audit inside the change's transaction"
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action[:60],
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        reason=(reason or "")[:2000],
        data=data or {},
    )


def audit_for(target: models.Model) -> models.QuerySet[AuditEntry]:
    """The audit entries about one object, newest first."""
    return AuditEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
    ).select_related("actor")
