"""Background work for matching: retraining the ranker (schedule it nightly)."""

from __future__ import annotations

from django.tasks import task


@task()
def train_ranker() -> int:
    from .services import ranker_train

    return ranker_train().pk
