"""The user's row from the cache (peerlearn.accounts.usercache): read once, never served stale
after a save, and only ever trusted for a session whose hash matches."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import login
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.test import RequestFactory
from django.utils.module_loading import import_string

from peerlearn.accounts import usercache
from peerlearn.accounts.models import User
from peerlearn.common.testing import make_user

pytestmark = pytest.mark.django_db


def settled() -> None:
    """As if the tombstones of earlier saves (creating the test's users) had expired."""
    cache.clear()


def signed_in(user: User) -> SessionBase:
    from django.conf import settings

    request = RequestFactory().get("/")
    request.session = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.save()
    return request.session


def test_the_row_is_read_once(django_assert_num_queries: Any) -> None:
    user = make_user()
    settled()
    with django_assert_num_queries(1):
        assert usercache.cached_user(user.pk) == user
    with django_assert_num_queries(0):
        assert usercache.cached_user(user.pk) == user


def test_a_saved_user_is_read_from_the_database_until_the_change_settles(
    django_assert_num_queries: Any,
) -> None:
    user = make_user()
    settled()
    usercache.cached_user(user.pk)
    user.is_staff = True
    user.save()

    for _ in range(2):  # the tombstone stops a refill with a copy read before the change
        with django_assert_num_queries(1):
            assert usercache.cached_user(user.pk).is_staff  # type: ignore[union-attr]


def test_a_session_of_a_changed_password_is_refused_though_the_row_was_cached() -> None:
    user = make_user()
    session = signed_in(user)
    settled()
    assert usercache.session_user(session) == user
    assert isinstance(cache.get(usercache._key(user.pk)), User)  # cached now

    user.set_password("another-Passphrase-2026")
    user.save()

    assert usercache.session_user(session) is None


def test_a_session_of_a_deactivated_user_is_refused() -> None:
    user = make_user()
    session = signed_in(user)
    assert usercache.session_user(session) == user

    user.is_active = False
    user.save()

    assert usercache.session_user(session) is None


def test_a_deleted_user_is_no_one() -> None:
    user = make_user()
    session = signed_in(user)
    usercache.cached_user(user.pk)

    user.delete()

    assert usercache.session_user(session) is None


def test_an_empty_session_is_no_one() -> None:
    from django.conf import settings

    empty = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    assert usercache.session_user(empty) is None
