"""/readyz: 200 when the database, the cache and the migrations are ready; 503 with reasons."""

from __future__ import annotations

import socket

import pytest
from django.db.migrations.recorder import MigrationRecorder

from peerlearn.common import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget_the_migration_check(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


def test_it_is_ready_with_a_migrated_database(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True}
    assert "no-cache" in response["Cache-Control"]


def test_it_is_not_ready_while_a_migration_is_unapplied(client) -> None:
    latest = MigrationRecorder.Migration.objects.filter(app="practice").order_by("-id").first()
    assert latest is not None
    latest.delete()  # as if the code were newer than the database
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert f"practice.{latest.name}" in body["problems"][0]


def test_it_is_not_ready_when_redis_does_not_answer(client, settings) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once the socket closes
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"][0].startswith("cache: ")


def test_it_is_not_ready_until_the_warm_up_has_loaded_the_tutor_index(client, settings) -> None:
    from config import warmup
    from peerlearn.matching import index

    settings.WARM_UP = True
    with index._lock:  # as while another thread builds it: the warm-up waits for the index
        thread = warmup.start()
        assert thread is not None
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["problems"] == ["warming up: the tutor index is loading"]
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert client.get("/readyz").status_code == 200
