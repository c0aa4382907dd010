"""Project-wide checks: migrations are committed, production settings pass check --deploy,
the CSP header is set, and the configured cache (Redis in CI) works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from conftest import require

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_makemigrations_is_clean() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_production_settings_pass_check_deploy() -> None:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-secret-key-" + "k" * 40,
        "ALLOWED_HOSTS": "peerlearn.example.org",
        "SITE_URL": "https://peerlearn.example.org",
        "DATABASE_URL": "sqlite:///" + str(ROOT / "var" / "deploy-check.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_secret_key_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | {"DEBUG": "0"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "SECRET_KEY is required" in result.stderr


@pytest.mark.django_db
def test_pages_carry_a_strict_csp() -> None:
    response = Client().get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"


def test_the_configured_cache_round_trips() -> None:
    from django.conf import settings
    from django.core.cache import cache

    if not settings.REDIS_URL:
        require(False, "Redis (REDIS_URL)")
    cache.set("peerlearn-test-key", "value", 30)
    assert cache.get("peerlearn-test-key") == "value"


@pytest.mark.django_db
def test_health_check() -> None:
    assert Client().get("/healthz").json() == {"ok": True}


def test_passwords_are_hashed_with_argon2_outside_tests() -> None:
    from config import settings as project_settings

    assert (
        project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
