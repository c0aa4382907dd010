"""An account's life beyond the profile: suspension by staff; export and deletion by its owner.

Suspension makes the account inactive (Django, allauth and the API refuse inactive users), ends
every session and JWT at once (``User.auth_epoch``), closes its open sockets through the channel
layer and withdraws it from every session that has not started. Unsuspending restores sign-in
only: cancelled sessions stay cancelled.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from peerlearn.common import hooks
from peerlearn.common.errors import Conflict, Forbidden, Invalid
from peerlearn.common.realtime import ForceDisconnectMessage, send_to_group, user_group

from .audit import audit_record
from .hooks import UserSuspended
from .models import User

SUSPENDED_NOTICE = "Your account was suspended."


def _clean_reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise Invalid("Give a reason; the person will see it.", code="required", field="reason")
    return text[:1000]


def end_sessions(user: User) -> None:
    """Every browser session and API token of ``user`` stops working now; their sockets close
    once the transaction commits."""
    user.auth_epoch += 1
    message: ForceDisconnectMessage = {"type": "force.disconnect", "reason": SUSPENDED_NOTICE}
    transaction.on_commit(lambda: send_to_group(user_group(user.pk), message))


def user_suspend(*, actor: User, user_id: int, reason: str) -> User:
    """Suspend an account: it cannot sign in (web, API, token refresh), its sessions and open
    sockets end at once, and its sessions that have not started are cancelled (or its seat in a
    group session released) with a notice to the others. The person sees ``reason`` when they
    try to sign in. Staff cannot suspend themselves or a superuser. Audited."""
    if not actor.has_perm("accounts.suspend_user"):
        raise Forbidden("Only administrators can suspend accounts.")
    text = _clean_reason(reason)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.pk == actor.pk:
            raise Conflict("You cannot suspend yourself.", code="self")
        if user.is_superuser:
            raise Conflict("A superuser cannot be suspended.", code="superuser")
        if user.suspended_at is not None:
            raise Conflict("This account is already suspended.", code="already_suspended")
        user.suspended_at = timezone.now()
        user.suspension_reason = text
        user.is_active = False
        end_sessions(user)
        user.save(update_fields=["suspended_at", "suspension_reason", "is_active", "auth_epoch"])
        audit_record(actor=actor, action="accounts.suspend", target=user, reason=text)
    # Its sessions that have not started: scheduling withdraws them (accounts/hooks.py).
    hooks.publish(UserSuspended(actor=actor, user=user), on_commit=False)
    return user


def user_unsuspend(*, actor: User, user_id: int, reason: str) -> User:
    """Lift a suspension: the person can sign in again (nothing else is restored). Audited."""
    if not actor.has_perm("accounts.suspend_user"):
        raise Forbidden("Only administrators can lift suspensions.")
    text = _clean_reason(reason)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.suspended_at is None:
            raise Conflict("This account is not suspended.", code="not_suspended")
        if user.deleted_at is not None:
            raise Conflict("This account was deleted.", code="deleted")
        user.suspended_at = None
        user.suspension_reason = ""
        user.is_active = True
        user.save(update_fields=["suspended_at", "suspension_reason", "is_active"])
        audit_record(actor=actor, action="accounts.unsuspend", target=user, reason=text)
    return user
