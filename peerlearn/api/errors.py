"""One JSON error shape for the whole API:

    {"error": {"code": "<stable_code>", "message": "<for people>", "fields": {"<field>": ["..."]}}}
"""

from __future__ import annotations

from typing import Any


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}
