"""Reading settings from environment variables, with typed helpers and safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


@dataclass(frozen=True)
class EmailConfig:
    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str = ""


def parse_email_url(url: str) -> EmailConfig:
    """Turn an EMAIL_URL into Django email settings.

    Supported: ``smtp://user:pass@host:port`` (``?tls=1`` for STARTTLS), ``smtps://...`` (implicit
    TLS), ``console:``, ``file:/path/to/dir`` (also shown at /dev/mail/ in DEBUG) and ``memory:``.
    """
    parsed = urlparse(url)
    scheme = parsed.scheme
    if scheme == "console":
        return EmailConfig(backend="django.core.mail.backends.console.EmailBackend")
    if scheme == "memory":
        return EmailConfig(backend="django.core.mail.backends.locmem.EmailBackend")
    if scheme == "file":
        path = unquote(parsed.path or parsed.netloc)
        return EmailConfig(
            backend="django.core.mail.backends.filebased.EmailBackend", file_path=path
        )
    if scheme in {"smtp", "smtps"}:
        query = parse_qs(parsed.query)
        return EmailConfig(
            backend="django.core.mail.backends.smtp.EmailBackend",
            host=parsed.hostname or "localhost",
            port=parsed.port or (465 if scheme == "smtps" else 25),
            user=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            use_tls=query.get("tls", ["0"])[0] in {"1", "true"},
            use_ssl=scheme == "smtps",
        )
    raise ImproperlyConfigured(f"EMAIL_URL has an unsupported scheme: {url!r}")


@dataclass(frozen=True)
class StorageConfig:
    backend: str
    options: dict[str, object]


def parse_storage_url(url: str, *, local_root: str, local_base_url: str) -> StorageConfig:
    """``file:`` (default, local folder) or ``s3://key:secret@host/bucket?region=..&secure=1``."""
    if not url or url.startswith("file:"):
        return StorageConfig(
            backend="django.core.files.storage.FileSystemStorage",
            options={"location": local_root, "base_url": local_base_url},
        )
    parsed = urlparse(url)
    if parsed.scheme != "s3":
        raise ImproperlyConfigured(f"STORAGE_URL has an unsupported scheme: {url!r}")
    query = parse_qs(parsed.query)
    secure = query.get("secure", ["1"])[0] in {"1", "true"}
    endpoint = f"{'https' if secure else 'http'}://{parsed.hostname}"
    if parsed.port:
        endpoint += f":{parsed.port}"
    return StorageConfig(
        backend="storages.backends.s3.S3Storage",
        options={
            "access_key": unquote(parsed.username or ""),
            "secret_key": unquote(parsed.password or ""),
            "bucket_name": parsed.path.strip("/"),
            "endpoint_url": endpoint,
            "region_name": query.get("region", [""])[0] or None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    )
