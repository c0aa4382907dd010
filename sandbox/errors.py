"""The judge's one exception: it never runs code without its sandbox."""

from __future__ import annotations


class SandboxUnavailable(Exception):
    """bubblewrap or a language's toolchain is missing or cannot create the sandbox.

    The message says what to install or enable; the judge never falls back to running code
    unsandboxed.
    """
