from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from peerlearn.common.env import env_bool, env_list, parse_email_url, parse_storage_url


def test_email_urls_are_parsed() -> None:
    smtp = parse_email_url("smtp://me%40x.org:p%2Fw@mail.example.org:2525?tls=1")
    assert (smtp.host, smtp.port, smtp.user, smtp.password, smtp.use_tls) == (
        "mail.example.org",
        2525,
        "me@x.org",
        "p/w",
        True,
    )
    assert parse_email_url("smtps://mail.example.org").port == 465
    assert parse_email_url("console:").backend.endswith("console.EmailBackend")
    assert parse_email_url("file:/tmp/mail").file_path == "/tmp/mail"
    with pytest.raises(ImproperlyConfigured):
        parse_email_url("carrier-pigeon://coop")


def test_storage_urls_are_parsed() -> None:
    local = parse_storage_url("file:", local_root="/srv/media", local_base_url="/media/")
    assert local.options["location"] == "/srv/media"
    s3 = parse_storage_url(
        "s3://KEY:SECRET@minio.local:9000/uploads?secure=0&region=eu",
        local_root="",
        local_base_url="",
    )
    assert s3.backend == "storages.backends.s3.S3Storage"
    assert (
        s3.options["endpoint_url"] == "http://minio.local:9000"
        and s3.options["bucket_name"] == "uploads"
    )


def test_booleans_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "yes")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_bool("X_FLAG") is True
    assert env_list("X_LIST") == ["a", "b", "c"]
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_FLAG")


def test_links_follow_the_port_make_run_serves_on() -> None:
    """``make run PORT=8101`` exports PORT; without SITE_URL, links in emails and calendar
    feeds point at that port, not at :8000."""
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    code = "from config import settings; print(settings.SITE_URL)"
    root = Path(__file__).resolve().parents[3]

    def site_url(**extra: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={**env, **extra},
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    assert site_url(PORT="8101") == "http://localhost:8101"
    assert site_url(PORT="8101", SITE_URL="https://peerlearn.example/") == (
        "https://peerlearn.example"
    )
    assert "PORT := $(PORT)" in (root / "Makefile").read_text()
