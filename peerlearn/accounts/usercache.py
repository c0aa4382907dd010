"""The signed-in user's row from the cache, for requests that carry a JWT (``peerlearn.api.auth``).

Every such request reads its session (from Redis) and then its user's row: the row is kept in
the cache for ``ROW_SECONDS`` (docs/performance.md, "HTTP"). A change can never be hidden by a
stale copy: every save or delete of a user leaves a tombstone (at once, and again on commit)
that stops refills for ``TOMBSTONE_SECONDS``, so a reader that loaded the row before the change
cannot put it back; meanwhile the row is read from the database. Only the plain case is served
from the cache: a session whose hash does not match the row goes through Django's own check
(fallback secrets, flushing the session).

Rows changed with ``QuerySet.update()`` send no signal; nothing in the project changes users
that way (use ``forget``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.db import transaction
from django.utils.crypto import constant_time_compare

from .models import User

ROW_SECONDS = 300
TOMBSTONE_SECONDS = 30
_TOMBSTONE = "changed"


def _key(pk: Any) -> str:
    return f"accounts:user-row:{pk}"


def cached_user(pk: Any) -> User | None:
    """User ``pk``, from the cache when no change is pending; ``None`` if there is none."""
    entry = cache.get(_key(pk))
    if isinstance(entry, User):
        return entry
    user = User.objects.filter(pk=pk).first()
    if entry is None and user is not None:
        cache.add(_key(pk), user, ROW_SECONDS)  # never over a tombstone
    return user


def forget(pk: Any) -> None:
    """Drop user ``pk``'s cached row and refuse refills for a while (see the module's doc)."""
    cache.set(_key(pk), _TOMBSTONE, TOMBSTONE_SECONDS)


def session_user(session: SessionBase) -> User | None:
    """``django.contrib.auth.get_user`` for a session (``None`` for no one), with the row from
    ``cached_user``; anything but a plain match is left to Django."""
    from allauth.core.internal.sessionkit import get_session_user

    try:
        pk = User._meta.pk.to_python(session[SESSION_KEY])
        backend = session[BACKEND_SESSION_KEY]
    except KeyError:
        return None
    if backend not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = cached_user(pk)
    if user is None or not user.is_active:  # as ModelBackend.get_user refuses them
        return None
    session_hash = session.get(HASH_SESSION_KEY)
    if session_hash and constant_time_compare(session_hash, user.get_session_auth_hash()):
        return user
    found = get_session_user(session)
    return found if isinstance(found, User) else None


def user_changed(sender: type[User], instance: User, **kwargs: Any) -> None:
    """post_save / post_delete of a user (connected in ``AccountsConfig.ready``)."""
    pk = instance.pk
    forget(pk)
    transaction.on_commit(lambda: forget(pk))
