"""The tutor index outside a request: snapshots let a new process load the index another one
built (same database, same fingerprint) instead of building it, and the web servers' entry
points load or build it (and import the URLconf) at start in a background thread."""

from __future__ import annotations

import importlib
import os
import sys
import threading
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config import warmup
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.matching import index as tutor_index
from peerlearn.matching.index import fingerprint, get_index, invalidate, snapshot_path
from peerlearn.matching.recommend import top_tutors


@pytest.fixture(autouse=True)
def _fresh_index() -> None:
    invalidate()  # as in a process that has not built its index yet


def queries_of_fingerprint() -> int:
    with CaptureQueriesContext(connection) as queries:
        fingerprint()
    return len(queries)


def snapshots(settings) -> list[Path]:
    return sorted(Path(settings.MATCHING_INDEX_DIR).glob("tutor-index-*.npz"))


@pytest.mark.django_db
def test_a_new_process_loads_the_snapshot_instead_of_building(settings) -> None:
    topic = make_subject()
    tutors = [make_tutor(subject=topic) for _ in range(3)]
    built = get_index()
    assert len(snapshots(settings)) == 1
    invalidate()  # a fresh process
    with CaptureQueriesContext(connection) as queries:
        loaded = get_index()
    assert len(queries) == queries_of_fingerprint()  # no build: only the fingerprint is read
    assert loaded is not built
    assert sorted(loaded.ids.tolist()) == sorted(t.pk for t in tutors)
    for name in ("rating", "reliability", "response", "languages", "week"):
        assert np.array_equal(getattr(loaded, name), getattr(built, name))
    learner = make_user()
    assert {r.tutor_id for r in top_tutors(learner=learner, subject_id=topic.pk)} == {
        t.pk for t in tutors
    }


@pytest.mark.django_db
def test_a_snapshot_of_older_data_is_not_used_and_is_replaced(settings) -> None:
    topic = make_subject()
    first = make_tutor(subject=topic)
    get_index()
    old = snapshots(settings)
    second = make_tutor(subject=topic)  # moves the fingerprint
    invalidate()
    index = get_index()
    assert sorted(index.ids.tolist()) == sorted([first.pk, second.pk])
    assert len(snapshots(settings)) == 1 and snapshots(settings) != old


@pytest.mark.django_db
def test_an_unreadable_snapshot_is_rebuilt(settings) -> None:
    tutor = make_tutor()
    path = snapshot_path(fingerprint())
    assert path is not None
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a snapshot")
    assert get_index().ids.tolist() == [tutor.pk]
    invalidate()
    assert get_index().ids.tolist() == [tutor.pk]  # the rebuilt snapshot loads


@pytest.mark.django_db
def test_without_a_snapshot_folder_the_index_is_built_and_nothing_written(settings) -> None:
    folder = Path(settings.MATCHING_INDEX_DIR)
    settings.MATCHING_INDEX_DIR = ""
    tutor = make_tutor()
    assert get_index().ids.tolist() == [tutor.pk]
    assert not folder.exists()


def test_warm_up_is_off_when_the_setting_says_so(settings) -> None:
    settings.WARM_UP = False
    assert warmup.start() is None


@pytest.mark.django_db(transaction=True)
def test_the_wsgi_entry_point_warms_the_index_up_off_the_request_path(settings) -> None:
    tutor = make_tutor()
    settings.WARM_UP = True
    if "config.wsgi" in sys.modules:
        importlib.reload(sys.modules["config.wsgi"])
    else:
        importlib.import_module("config.wsgi")
    warming = [t for t in threading.enumerate() if t.name == warmup.THREAD_NAME]
    assert warming
    for thread in warming:
        thread.join(timeout=30)
    assert len(snapshots(settings)) == 1  # written for the other processes
    with CaptureQueriesContext(connection) as queries:
        index = get_index()
    assert len(queries) == 0  # already in memory: the first request builds nothing
    assert index.ids.tolist() == [tutor.pk]


@pytest.mark.django_db(transaction=True)
def test_a_web_process_rebuilds_a_moved_index_in_the_background(settings, monkeypatch) -> None:
    settings.WARM_UP = True  # a web process
    monkeypatch.setattr(tutor_index, "CHECK_EVERY", timedelta(0))  # re-read the fingerprint
    topic = make_subject()
    first = make_tutor(subject=topic)
    assert get_index().ids.tolist() == [first.pk]
    second = make_tutor(subject=topic)
    assert get_index().ids.tolist() == [first.pk]  # the previous index, at once
    for thread in threading.enumerate():
        if thread.name == tutor_index.REBUILD_THREAD:
            thread.join(timeout=30)
    assert sorted(get_index().ids.tolist()) == sorted([first.pk, second.pk])
    assert len(snapshots(settings)) == 1  # the rebuilt one, for the other processes


@pytest.mark.django_db
def test_elsewhere_a_moved_index_is_rebuilt_before_answering(settings, monkeypatch) -> None:
    monkeypatch.setattr(tutor_index, "CHECK_EVERY", timedelta(0))
    topic = make_subject()
    first = make_tutor(subject=topic)
    get_index()
    second = make_tutor(subject=topic)
    assert sorted(get_index().ids.tolist()) == sorted([first.pk, second.pk])


def test_a_worker_forked_while_the_index_is_being_built_gets_a_free_lock() -> None:
    with tutor_index._lock:  # as held by a warm-up thread of the parent at fork time
        pid = os.fork()
        if pid == 0:  # the worker: no thread will ever release the parent's lock here
            os._exit(0 if tutor_index._lock.acquire(timeout=5) else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.django_db(transaction=True)
def test_a_new_web_process_starts_from_an_older_snapshot_and_rebuilds(settings) -> None:
    settings.WARM_UP = True
    topic = make_subject()
    first = make_tutor(subject=topic)
    get_index()  # an earlier process wrote the snapshot of these rows
    second = make_tutor(subject=topic)
    invalidate()  # a new process, after the data changed
    assert get_index().ids.tolist() == [first.pk]  # the older snapshot, at once
    for thread in threading.enumerate():
        if thread.name == tutor_index.REBUILD_THREAD:
            thread.join(timeout=30)
    assert sorted(get_index().ids.tolist()) == sorted([first.pk, second.pk])
