"""Suite-wide test setup.

External components (PostgreSQL, Redis, Chromium, bubblewrap) are used when present and skipped
with a visible reason when not; with PEERLEARN_REQUIRE_ALL=1 (set by .ci/run) a missing one is a
failure instead, so CI never skips silently.
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_ALL = os.environ.get("PEERLEARN_REQUIRE_ALL") == "1"

# Servers and workers that tests start inherit this: no pool unless they set their own
# (tests/prod does, as deploy/prod.py).
os.environ.setdefault("DB_POOL_MAX", "0")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """No PostgreSQL connection pool in the test process: race() in common.testing gives each of
    many threads its own connection at once, more than a pool sized for one web process holds
    (the threads would wait on the pool and the race would not happen), and the test database
    is created and dropped under the pool's feet."""
    from django.conf import settings

    for database in settings.DATABASES.values():
        database.get("OPTIONS", {}).pop("pool", None)


def require(available: bool, what: str) -> None:
    """Skip (or fail under PEERLEARN_REQUIRE_ALL=1) when an external component is missing."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"{what} is required (PEERLEARN_REQUIRE_ALL=1) but not available")
    pytest.skip(f"{what} is not available here")


def chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Tasks run as soon as they are enqueued (tests of the worker itself override this)."""
    settings.TASKS = {"default": {"BACKEND": "peerlearn.common.task_backends.TestTaskBackend"}}


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings):
    """In-process tests use the in-memory channel layer even when REDIS_URL points the site
    at Redis; the Redis layer is tested across real server processes (live/test_multiprocess)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 (the production hasher, see test_project) for every test user only costs time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of each test go to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    from django.core.files.storage import storages

    for alias, root in (("default", settings.MEDIA_ROOT), ("private", settings.PRIVATE_MEDIA_ROOT)):
        storage = storages[alias]
        if hasattr(storage, "location"):
            storage._location = str(root)  # type: ignore[attr-defined]
            storage.__dict__.pop("base_location", None)
            storage.__dict__.pop("location", None)
    yield


@pytest.fixture(autouse=True)
def _tutor_index_snapshots_in_tmp(settings, tmp_path):
    """Each test keeps tutor index snapshots in its own folder (never one built from another
    test's rows) and starts no warm-up thread when it imports a server entry point."""
    settings.MATCHING_INDEX_DIR = str(tmp_path / "matching-index")
    settings.WARM_UP = False


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
