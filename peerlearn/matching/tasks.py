"""Background work for matching: retraining the ranker (schedule it hourly or nightly)."""

from __future__ import annotations

from django.tasks import task


@task()
def train_ranker() -> int | None:
    """Train on every outcome so far; the new ``RankerVersion``'s id, or None when there was
    nothing to learn from (the prior stays in use)."""
    from .ranker import train

    version = train().version
    return version.pk if version is not None else None
